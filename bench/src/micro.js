// In-process micro-benchmark of the pipeline, without HTTP: hookrun's handleInboundWebhook against
// the same work written by hand (bearer check, JSON.parse, envelope, 202 body). Quick to run while
// changing core; `node src/micro.js [bytes] [calls]`, then `node --cpu-prof src/micro.js` for a profile.
import { randomUUID } from "node:crypto";
import * as core from "@hookrun/core";

// CPU time (user + system) of this process in ms: on a shared machine, wall time mostly measures
// the neighbours.
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
import { makePayload } from "./payload.js";
import { handBearerOk, hookrunOptions, noopAgent } from "./servers/harness.js";
import { TOKEN, WEBHOOK_ID } from "./shared.js";

const bytes = Number(process.argv[2] ?? 1024);
const calls = Number(process.argv[3] ?? 100_000);
const hooks = core.createInboundWebhooks(hookrunOptions(core));
const body = Buffer.from(makePayload(bytes));
const headers = { host: "127.0.0.1", authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": String(bytes) };
const yieldToLoop = () => new Promise(setImmediate);

async function viaHookrun() {
  for (let i = 0; i < calls; i++) {
    const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: WEBHOOK_ID, headers, body });
    if (response.status !== 202) throw new Error(response.body);
    if (i % 1000 === 0) await yieldToLoop();
  }
}

async function byHand() {
  for (let i = 0; i < calls; i++) {
    if (!handBearerOk(headers.authorization)) throw new Error("unauthorized");
    const payload = JSON.parse(body.toString("utf8"));
    setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId: WEBHOOK_ID, payload });
    JSON.stringify({ status: "accepted", runId: randomUUID(), inboundWebhookId: WEBHOOK_ID });
    if (i % 1000 === 0) await yieldToLoop();
  }
}

// Best of 6 interleaved rounds: on a shared machine the minimum is the least disturbed.
const best = {};
for (let round = 0; round < 6; round++) {
  for (const [name, fn] of [["by hand", byHand], ["hookrun", viaHookrun]]) {
    const started = cpuNow();
    await fn();
    await yieldToLoop();
    best[name] = Math.min(best[name] ?? Infinity, ((cpuNow() - started) * 1000) / calls);
  }
}
console.log(`${bytes} B body, ${calls} calls: ${Object.entries(best).map(([name, us]) => `${name} ${us.toFixed(2)} µs/op`).join(", ")}`);
