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

const server = app.listen(config.port, () => printStartup("worker (ingress)", config));
closeOnSignals(server, hooks);
