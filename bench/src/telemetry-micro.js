// In-process micro-benchmark of hookrun's OpenTelemetry cost, without HTTP: the whole pipeline plus
// the memoryRunner attempt (a no-op agent), CPU µs per request (user + system, process.cpuUsage)
// for each telemetry setting side by side. `node src/telemetry-micro.js [calls]`.
//
//   off            telemetry: false (what an app without @opentelemetry/api gets: nothing is loaded)
//   auto, no SDK   the default, @opentelemetry/api installed, no SDK registered (the claim: same as off)
//   true, no SDK   forced on without an SDK: the API's no-op tracer and meter are called
//   SDK            an SDK registered (tracer provider + meter provider, spans batched to a no-op exporter, as in production)
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import * as core from "@hookrun/core";
import { makePayload } from "./payload.js";
import { hookrunOptions } from "./servers/harness.js";
import { TOKEN, WEBHOOK_ID } from "./shared.js";

const calls = Number(process.argv[2] ?? 20_000);
const rounds = 6;
const body = Buffer.from(makePayload(1024));
const headers = { host: "127.0.0.1", authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": String(body.length) };
const yieldToLoop = () => new Promise(setImmediate);

async function measure(hooks) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: WEBHOOK_ID, headers, body });
    if (response.status !== 202) throw new Error(response.body);
    if (i % 500 === 0) await yieldToLoop();
  }
  for (let i = 0; i < 5; i++) await yieldToLoop(); // the last runs finish inside the measurement
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / calls, wall: ((performance.now() - started) * 1000) / calls };
}

/** Best of `rounds` interleaved rounds per variant: on a shared machine the minimum is the least disturbed. */
async function compare(variants) {
  const best = Object.fromEntries(variants.map(([name]) => [name, { cpu: Infinity, wall: Infinity }]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, hooks] of variants) {
      const { cpu, wall } = await measure(hooks);
      best[name].cpu = Math.min(best[name].cpu, cpu);
      best[name].wall = Math.min(best[name].wall, wall);
    }
  }
  return best;
}

const noSdk = await compare([
  ["off", core.createInboundWebhooks(hookrunOptions(core, { telemetry: false }))],
  ["auto, no SDK", core.createInboundWebhooks(hookrunOptions(core))],
  ["true, no SDK", core.createInboundWebhooks(hookrunOptions(core, { telemetry: true }))],
]);

// Now an SDK, registered as an instrumentation file does, before hookrun is created.
const noopExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
api.trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: noopExporter })] }));
api.metrics.setGlobalMeterProvider(new MeterProvider());
const withSdk = await compare([
  ["off (SDK registered)", core.createInboundWebhooks(hookrunOptions(core, { telemetry: false }))],
  ["SDK", core.createInboundWebhooks(hookrunOptions(core))],
]);

const rows = Object.entries({ ...noSdk, ...withSdk });
console.log(`1 KB body, ${calls} calls x ${rounds} rounds (best), pipeline + memoryRunner attempt, no HTTP`);
console.log("| telemetry | CPU µs/request | wall µs/request |\n| --- | ---: | ---: |");
for (const [name, { cpu, wall }] of rows) console.log(`| ${name} | ${cpu.toFixed(2)} | ${wall.toFixed(2)} |`);
