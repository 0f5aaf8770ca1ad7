// hookrun on Koa 3 + @koa/router through @hookrun/koa.
import { createServer } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import * as core from "@hookrun/core";
import { createKoaMiddleware } from "@hookrun/koa";
import { hookrunOptions, listen } from "./harness.js";

const hooks = core.createInboundWebhooks(hookrunOptions(core));
const app = new Koa();
const router = new Router();
router.all("/inbound-webhooks/:webhookId", createKoaMiddleware(hooks));
app.use(router.routes());
listen(createServer(app.callback()));
