import Fastify from "fastify";
import { hookrunFastify } from "@hookrun/fastify";
import { createDemoDashboard, createDemoHooks, demoConfig, printStartup } from "@hookrun-examples/demo";

const config = demoConfig();
const hooks = createDemoHooks(config);

const app = Fastify();
// Its own encapsulated context: hookrun reads (and limits) the raw body; the app's JSON parser is untouched.
await app.register(hookrunFastify, { hooks });
app.get("/healthz", async (_request, reply) => {
  const health = await hooks.health();
  return reply.code(health.ready ? 200 : 503).send(health);
});
// The runs dashboard, in a context of its own that leaves request bodies to it, as hookrun's does.
const dashboard = createDemoDashboard(hooks, config);
await app.register(async (scope) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
  const serve = (request, reply) => void (reply.hijack(), dashboard.node(request.raw, reply.raw));
  scope.all("/hookrun", serve);
  scope.all("/hookrun/*", serve);
});

await app.listen({ port: config.port, host: "0.0.0.0" });
printStartup("fastify", config);
// app.close() stops listening, then the plugin's onClose lets accepted runs finish (10 s at most).
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void app.close().then(() => process.exit(0)));
