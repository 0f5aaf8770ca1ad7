import Router from "@koa/router";
import Koa from "koa";
import { createKoaMiddleware } from "@hookrun/koa";
import { closeOnSignals, createDemoDashboard, createDemoHooks, demoConfig, printStartup } from "@hookrun-examples/demo";

const config = demoConfig();
const hooks = createDemoHooks(config);

const router = new Router();
router.all("/inbound-webhooks/:webhookId", createKoaMiddleware(hooks));
router.get("/healthz", async (ctx) => {
  const health = await hooks.health();
  ctx.status = health.ready ? 200 : 503;
  ctx.body = health;
});

const app = new Koa();
app.use(createDemoDashboard(hooks, config).koa); // the runs dashboard at /hookrun
app.use(router.routes());

const server = app.listen(config.port, () => printStartup("koa", config));
closeOnSignals(server, hooks);

