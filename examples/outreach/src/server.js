import { randomBytes } from "node:crypto";
import express from "express";
import { createInboundWebhooks } from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
import { createDashboard } from "@hookrun/dashboard";
import { createCrm } from "./crm.js";
import { chooseModel } from "./model.js";
import { outreachWebhook } from "./outreach-agent.js";

const port = Number(process.env.PORT || 3000);
const token = process.env.HOOKRUN_WEBHOOK_TOKEN || randomBytes(24).toString("base64url");
const dashboardToken = process.env.HOOKRUN_DASHBOARD_TOKEN || randomBytes(32).toString("base64url");
const crm = createCrm();

const hooks = createInboundWebhooks({ webhooks: [outreachWebhook({ token, model: chooseModel(), crm })] });
const app = express();
// Before any body parser: hookrun reads (and limits) the raw body itself.
app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
// The runs dashboard: each run's page shows the agent's record (tool calls, the draft, usage).
app.use("/hookrun", createDashboard(hooks, { authorize: { operator: dashboardToken }, basePath: "/hookrun" }).express);
// The drafts the agent saved, for a human to review (your CRM's own UI in real life).
app.get("/drafts", (_req, res) => void res.json(crm.drafts()));

const server = app.listen(port, () => {
  const url = `http://localhost:${server.address().port}`;
  process.stderr.write(
    [
      `outreach agent listening on ${url}/inbound-webhooks/customer-alerts`,
      `webhook token: ${process.env.HOOKRUN_WEBHOOK_TOKEN ? "from HOOKRUN_WEBHOOK_TOKEN" : `${token} (generated for this run)`}`,
      `dashboard: ${url}/hookrun/ (user name: anything, password: the dashboard token)`,
      process.env.HOOKRUN_DASHBOARD_TOKEN ? "dashboard token: from HOOKRUN_DASHBOARD_TOKEN" : `dashboard token (generated for this run): ${dashboardToken}`,
      `model: ${process.env.OPENAI_API_KEY ? "OpenAI" : "offline scripted model (set OPENAI_API_KEY for a real one)"}; drafts at ${url}/drafts`,
      "",
    ].join("\n"),
  );
});
process.once("SIGTERM", () => void hooks.close({ timeoutMs: 10_000 }).then(() => server.close()));
process.once("SIGINT", () => void hooks.close({ timeoutMs: 10_000 }).then(() => server.close()));
