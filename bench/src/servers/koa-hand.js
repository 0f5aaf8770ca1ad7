// What a Koa 3 user writes by hand: @koa/router, a bearer check, @koa/bodyparser with a 1 MB limit.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { bodyParser } from "@koa/bodyparser";
import Router from "@koa/router";
import Koa from "koa";
import { WEBHOOK_ID } from "../shared.js";
import { handBearerOk, listen, noopAgent } from "./harness.js";

const app = new Koa();
const router = new Router();
router.post(
  "/inbound-webhooks/:webhookId",
  async (ctx, next) => {
    if (ctx.params.webhookId !== WEBHOOK_ID || !handBearerOk(ctx.get("authorization"))) {
      ctx.status = 401;
      ctx.body = { error: "unauthorized" };
      return;
    }
    await next();
  },
  bodyParser({ enableTypes: ["json"], jsonLimit: "1mb" }),
  (ctx) => {
    const inboundWebhookId = ctx.params.webhookId;
    setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId, payload: ctx.request.body });
    ctx.status = 202;
    ctx.body = { status: "accepted", runId: randomUUID(), inboundWebhookId };
  },
);
app.use(router.routes());
listen(createServer(app.callback()));
