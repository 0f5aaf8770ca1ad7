import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import express from "express";
import { createInboundWebhooks } from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
import { kbWebhook } from "./kb-agent.js";
import { chooseModel } from "./model.js";

const port = Number(process.env.PORT || 3000);
const secret = process.env.GITHUB_WEBHOOK_SECRET || randomBytes(32).toString("hex");
const draftsDir = resolve(process.env.KB_DRAFTS_DIR || "kb-drafts");

const hooks = createInboundWebhooks({ webhooks: [kbWebhook({ secret, model: chooseModel(), draftsDir })] });
const app = express();
app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
app.get("/healthz", async (_req, res) => {
  const health = await hooks.health();
  res.status(health.ready ? 200 : 503).json(health);
});
app.listen(port, () => {
  process.stderr.write(
    [
      `KB agent listening on http://localhost:${port}/inbound-webhooks/github-push`,
      `GitHub webhook secret: ${process.env.GITHUB_WEBHOOK_SECRET ? "from GITHUB_WEBHOOK_SECRET" : `${secret} (generated for this run)`}`,
      `model: ${process.env.OPENAI_API_KEY ? "OpenAI" : "offline scripted model (set OPENAI_API_KEY for a real one)"}; drafts in ${draftsDir}`,
      "",
    ].join("\n"),
  );
});
