import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { handleFetchRequest } from "@hookrun/core/fetch";
import { closeOnSignals, createDemoDashboard, createDemoHooks, demoConfig, printStartup } from "@hookrun-examples/demo";

const config = demoConfig();
const hooks = createDemoHooks(config);

const app = new Hono();
// Every method reaches hookrun (405 for all but POST); it reads the raw body stream itself.
app.all("/inbound-webhooks/:webhookId", async (c) => {
  const response = await handleFetchRequest(hooks, c.req.raw, c.req.param("webhookId"));
  // On Node (HTTP/1.1), a body refused as too large was not read to its end: have the client open a
  // new connection, since @hono/node-server drops this one shortly after the answer.
  if (response.status === 413) response.headers.set("connection", "close");
  return response;
});
app.get("/healthz", async (c) => {
  const health = await hooks.health();
  return c.json(health, health.ready ? 200 : 503);
});

// The runs dashboard is a Fetch handler too.
const dashboard = createDemoDashboard(hooks, config);
app.all("/hookrun", (c) => dashboard(c.req.raw));
app.all("/hookrun/*", (c) => dashboard(c.req.raw));

const server = serve({ fetch: app.fetch, port: config.port }, () => printStartup("hono", config));
closeOnSignals(server, hooks);
