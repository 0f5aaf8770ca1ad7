// What an Express 5 user writes by hand: express.json with a 1 MB limit and a bearer check.
import { randomUUID } from "node:crypto";
import express from "express";
import { WEBHOOK_ID } from "../shared.js";
import { handBearerOk, listen, noopAgent } from "./harness.js";

const app = express();
app.post(
  "/inbound-webhooks/:webhookId",
  (req, res, next) => {
    if (req.params.webhookId !== WEBHOOK_ID || !handBearerOk(req.get("authorization"))) {
      return void res.status(401).json({ error: "unauthorized" });
    }
    next();
  },
  express.json({ limit: "1mb" }),
  (req, res) => {
    const inboundWebhookId = req.params.webhookId;
    setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId, payload: req.body });
    res.status(202).json({ status: "accepted", runId: randomUUID(), inboundWebhookId });
  },
);
listen(app.listen(0, "127.0.0.1"));
