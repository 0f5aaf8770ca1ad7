/**
 * The body of a consumer script, written once and emitted as CommonJS (`require`) and as ESM
 * (`import()`): it loads every package as an npm user would and drives each one through a real
 * request, then prints what it saw as one JSON line.
 */
export function consumerScript(format: "cjs" | "esm", packageNames: readonly string[]): string {
  const load = format === "cjs" ? "async (name) => require(name)" : "(name) => import(name)";
  const prelude = format === "cjs" ? 'const http = require("node:http");' : 'import http from "node:http";';
  return `${prelude}
const load = ${load};
const names = ${JSON.stringify(packageNames)};

async function serve(handler, send) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.keepAliveTimeout = 1;
  try {
    return await send(\`http://127.0.0.1:\${server.address().port}/inbound-webhooks/demo\`);
  } finally {
    server.close();
  }
}
const post = (url) => fetch(url, { method: "POST", headers: { authorization: "Bearer tok" }, body: JSON.stringify({ via: url.split("#")[1] }) });

async function main() {
  const exportsOf = {};
  for (const name of names) exportsOf[name] = Object.keys(await load(name)).filter((key) => key !== "default" && key !== "module.exports").sort();

  const core = await load("@hookrun/core");
  const envelopes = [];
  const hooks = core.createInboundWebhooks({
    webhooks: [{ id: "demo", auth: core.bearer("tok"), agent: (envelope) => void envelopes.push(envelope) }],
  });
  const status = {};
  status.core = (await hooks.handleInboundWebhook({ method: "POST", webhookId: "demo", headers: { authorization: "Bearer tok" }, body: '{"via":"core"}' })).status;

  const { handleNodeRequest } = await load("@hookrun/core/node");
  status.node = (await serve((req, res) => handleNodeRequest(hooks, req, res, "demo"), (url) => post(url + "#node"))).status;

  const { handleFetchRequest } = await load("@hookrun/core/fetch");
  status.fetch = (await handleFetchRequest(hooks, new Request("http://x/inbound-webhooks/demo#fetch", { method: "POST", headers: { authorization: "Bearer tok" }, body: '{"via":"fetch"}' }), "demo")).status;

  // The real frameworks, as the app installs them (the adapters take them as peers).
  const express = await load("@hookrun/express");
  const expressLib = await load("express");
  const expressApp = (expressLib.default ?? expressLib)();
  expressApp.all("/inbound-webhooks/:webhookId", express.createExpressHandler(hooks));
  status.express = (await serve(expressApp, (url) => post(url + "#express"))).status;

  const koa = await load("@hookrun/koa");
  const KoaLib = await load("koa");
  const koaApp = new (KoaLib.default ?? KoaLib)();
  koaApp.use((ctx, next) => ((ctx.params = { webhookId: ctx.path.split("/")[2] }), next()));
  koaApp.use(koa.createKoaMiddleware(hooks));
  status.koa = (await serve(koaApp.callback(), (url) => post(url + "#koa"))).status;

  const next = await load("@hookrun/next");
  status.next = (await next.createNextRouteHandlers(hooks).POST(new Request("http://x/inbound-webhooks/demo", { method: "POST", headers: { authorization: "Bearer tok" }, body: '{"via":"next"}' }), { params: Promise.resolve({ webhookId: "demo" }) })).status;

  // The dashboard serves its page, script and API from the installed package: nothing to copy or build.
  const { createDashboard } = await load("@hookrun/dashboard");
  const dashboard = createDashboard(hooks, { insecure: true });
  const script = await dashboard(new Request("http://x/hookrun/assets/app.js"));
  const dashboardReport = {
    page: (await dashboard(new Request("http://x/hookrun/"))).status,
    script: [script.status, script.headers.get("content-type"), (await script.text()).includes("function dashboardClient")],
    runs: (await (await dashboard(new Request("http://x/hookrun/api/runs"))).json()).runs.length > 0,
  };

  const cli = await load("@hookrun/cli");
  const cliDigest = cli.tokenDigest("tok");

  // Needs Redis to run; loading it and its pure helper shows the package and its peers resolve.
  const bullmqDeduplicationId = names.includes("@hookrun/bullmq") ? (await load("@hookrun/bullmq")).deduplicationId("demo", "dlv-1") : null;

  // @opentelemetry/api is an optional peer, not installed here: the default ("auto") served above;
  // asking for telemetry explicitly says what is missing.
  let telemetryTrue;
  try {
    core.createInboundWebhooks({ webhooks: [], telemetry: true });
    telemetryTrue = "created";
  } catch (error) {
    telemetryTrue = error.field;
  }

  await hooks.close();
  const sameCore = {
    express: express.createInboundWebhooks === core.createInboundWebhooks,
    koa: koa.createInboundWebhooks === core.createInboundWebhooks,
    next: next.createInboundWebhooks === core.createInboundWebhooks,
  };
  console.log(JSON.stringify({ exportsOf, status, envelopes, cliDigest, sameCore, bullmqDeduplicationId, telemetryTrue, dashboard: dashboardReport }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;
}
