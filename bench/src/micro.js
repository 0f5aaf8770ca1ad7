// In-process micro-benchmark of the pipeline, without HTTP: hookrun's handleInboundWebhook against
// the same work written by hand (bearer check, JSON.parse, envelope, 202 body). Quick to run while
// changing core; `node src/micro.js [bytes] [calls] [bearer|github]`, then `node --cpu-prof src/micro.js`
// for a profile. `github`: hookrun with github() and a fresh X-GitHub-Delivery per call against an
// HMAC check + JSON.parse by hand (what @octokit/webhooks does, without its event dispatch).
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import * as core from "@hookrun/core";

// CPU time (user + system) of this process in ms: on a shared machine, wall time mostly measures
// the neighbours.
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
import { makePayload } from "./payload.js";
import { handBearerOk, hookrunOptions, noopAgent } from "./servers/harness.js";
import { GITHUB_SECRET, TOKEN, WEBHOOK_ID } from "./shared.js";

const bytes = Number(process.argv[2] ?? 1024);
const calls = Number(process.argv[3] ?? 100_000);
const mode = process.argv[4] ?? "bearer";
const githubMode = mode === "github";
const hooksWith = (extra) =>
  core.createInboundWebhooks(
    githubMode ? hookrunOptions(core, { webhooks: [{ id: WEBHOOK_ID, auth: core.github({ secret: GITHUB_SECRET }), agent: noopAgent }], ...extra }) : hookrunOptions(core, extra),
  );
const hooks = hooksWith({});
// The same without run records: what records cost, measured in the same process and rounds.
const hooksWithoutRecords = hooksWith({ runs: false });
const body = Buffer.from(makePayload(bytes));
const signature = `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`;
const headers = githubMode
  ? { host: "127.0.0.1", "x-hub-signature-256": signature, "x-github-event": "push", "content-type": "application/json", "content-length": String(bytes) }
  : { host: "127.0.0.1", authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": String(bytes) };
let delivery = 0;
const headersFor = () => (githubMode ? { ...headers, "x-github-delivery": `d-${++delivery}` } : headers);
const handOk = githubMode
  ? (h) => {
      const expected = Buffer.from(`sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`);
      const given = Buffer.from(h["x-hub-signature-256"]);
      return given.length === expected.length && timingSafeEqual(given, expected);
    }
  : (h) => handBearerOk(h.authorization);
const yieldToLoop = () => new Promise(setImmediate);

const viaHookrun = () => drive(hooks);
const viaHookrunWithoutRecords = () => drive(hooksWithoutRecords);

async function drive(hooks) {
  for (let i = 0; i < calls; i++) {
    const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: WEBHOOK_ID, headers: headersFor(), body });
    if (response.status !== 202) throw new Error(response.body);
    if (i % 1000 === 0) await yieldToLoop();
  }
}

async function byHand() {
  for (let i = 0; i < calls; i++) {
    if (!handOk(headersFor())) throw new Error("unauthorized");
    const payload = JSON.parse(body.toString("utf8"));
    setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId: WEBHOOK_ID, payload });
    JSON.stringify({ status: "accepted", runId: randomUUID(), inboundWebhookId: WEBHOOK_ID });
    if (i % 1000 === 0) await yieldToLoop();
  }
}

// Best of 6 interleaved rounds: on a shared machine the minimum is the least disturbed.
const best = {};
for (let round = 0; round < 6; round++) {
  for (const [name, fn] of [["by hand", byHand], ["hookrun", viaHookrun], ["hookrun (runs: false)", viaHookrunWithoutRecords]]) {
    const started = cpuNow();
    await fn();
    await yieldToLoop();
    best[name] = Math.min(best[name] ?? Infinity, ((cpuNow() - started) * 1000) / calls);
  }
}
console.log(`${mode}, ${bytes} B body, ${calls} calls: ${Object.entries(best).map(([name, us]) => `${name} ${us.toFixed(2)} µs/op`).join(", ")}`);
