// A worker: takes jobs from Redis and runs the demo agent; serves no HTTP. Run as many as you like.
// The webhook list is the same as the ingress's: the agent is found by webhook id.
import { createDemoHooks, demoConfig } from "@hookrun-examples/demo";
import { demoRunner } from "./runner.js";

// The worker never checks tokens; any value will do if HOOKRUN_WEBHOOK_TOKEN is unset.
const config = demoConfig({ ...process.env, HOOKRUN_WEBHOOK_TOKEN: process.env.HOOKRUN_WEBHOOK_TOKEN || "unused-by-workers" });
const hooks = createDemoHooks(config, { role: "worker", runner: demoRunner() });
process.stderr.write(`hookrun worker running agents for webhook "${config.webhookId}" (pid ${process.pid})\n`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  // Let running agents finish (30 s at most); what is left stays in Redis for another worker.
  process.once(signal, () => void hooks.close({ timeoutMs: 30_000 }).then(() => process.exit(0)));
}
