// The HTTP side: authenticates, limits, parses, and answers 202 once Redis holds the job.
// It runs no agent; start any number of `node src/worker.js` for that, on this machine or others.
import express from "express";
import { createExpressHandler } from "@hookrun/express";
import { closeOnSignals, createDemoHooks, demoConfig, printStartup } from "@hookrun-examples/demo";
import { demoRunner } from "./runner.js";

const config = demoConfig();
const hooks = createDemoHooks(config, { role: "ingress", runner: demoRunner() });

const app = express();
app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
// Readiness: 503 while Redis is unreachable or the process is closing.
app.get("/healthz", async (_req, res) => {
  const health = await hooks.health();
  res.status(health.ready ? 200 : 503).json(health);
});

const server = app.listen(config.port, () => printStartup("worker (ingress)", config));
closeOnSignals(server, hooks);
