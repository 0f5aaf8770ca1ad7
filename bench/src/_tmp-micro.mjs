import * as core from "@hookrun/core";
import { makePayload } from "/work/wt/perf/bench/src/payload.js";
import { hookrunOptions } from "/work/wt/perf/bench/src/servers/harness.js";
const hooks = core.createInboundWebhooks(hookrunOptions(core));
const body = Buffer.from(makePayload(Number(process.argv[2] ?? 1024)));
const headers = { host: "127.0.0.1", authorization: `Bearer bench-token-4f0c1d7e9b2a4c6e8f1a3b5d7c9e0f21`, "content-type": "application/json", "content-length": String(body.length) };
for (let i = 0; i < 600000; i++) {
  const r = await hooks.handleInboundWebhook({ method: "POST", webhookId: "bench", headers, body });
  if (r.status !== 202) throw new Error(r.body);
  if (i % 1000 === 0) await new Promise(setImmediate);
}
