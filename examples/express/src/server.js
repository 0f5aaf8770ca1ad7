import express from "express";
import { createExpressHandler } from "@hookrun/express";
import { closeOnSignals, createDemoDashboard, createDemoHooks, demoConfig, printStartup } from "@hookrun-examples/demo";

const config = demoConfig();
const hooks = createDemoHooks(config);

const app = express();
// Before any body parser: hookrun reads (and limits) the raw body itself.
app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
app.get("/healthz", async (_req, res) => {
  const health = await hooks.health();
  res.status(health.ready ? 200 : 503).json(health);
});
app.use("/hookrun", createDemoDashboard(hooks, config).express); // the runs dashboard
app.use(express.json()); // the rest of your app

const server = app.listen(config.port, () => printStartup("express", config));
closeOnSignals(server, hooks);

