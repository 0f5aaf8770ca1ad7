import { createServer } from "node:http";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { DataPoint, Histogram, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { bearer, createInboundWebhooks, HookrunConfigError, memoryRunner, type Agent, type InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerTestOtel, type TestOtel } from "../../test/otel-sdk";
import { listen, memoryLogger } from "../../../../test/support/in-process";

const TOKEN = "telemetry-token-0123456789abcdef-SECRET";
const MARKER = "payload-marker-7f3a9c";

let otel: TestOtel;
beforeAll(() => {
  otel = registerTestOtel();
});
afterAll(() => otel.shutdown());
afterEach(() => otel.reset());

/**
 * A real HTTP server whose requests run in a SERVER span, as @opentelemetry/instrumentation-http
 * makes them: hookrun must annotate that span, not open a second one.
 */
async function instrumentedServer(hooks: InboundWebhooks) {
  const tracer = trace.getTracer("test-http-instrumentation");
  const server = createServer((req, res) => {
    tracer.startActiveSpan("POST /inbound-webhooks/:webhookId", { kind: SpanKind.SERVER }, (span) => {
      const id = decodeURIComponent(/^\/inbound-webhooks\/([^/?]+)/.exec(req.url ?? "")?.[1] ?? "");
      void handleNodeRequest(hooks, req, res, id).finally(() => span.end());
    });
  });
  const { port, close } = await listen(server);
  return {
    async post(id: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
      const res = await fetch(`http://127.0.0.1:${port}/inbound-webhooks/${id}`, { method: "POST", body, headers });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    close,
  };
}

/** Resolves once `count` spans named like `name` have ended. */
async function spansNamed(name: string, count: number): Promise<ReadableSpan[]> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const found = otel.spans().filter((span) => span.name === name);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} "${name}" spans: ${otel.spans().map((span) => span.name)}`);
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

function points(metrics: ResourceMetrics, name: string): DataPoint<unknown>[] {
  const metric = metrics.scopeMetrics.flatMap((scope) => scope.metrics).find((found) => found.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
}
const valueAt = (metrics: ResourceMetrics, name: string, attributes: Record<string, unknown>) =>
  points(metrics, name).find((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))?.value;

describe("telemetry (an SDK registered before createInboundWebhooks)", () => {
  it("annotates the HTTP server span, then PRODUCER → CONSUMER → the agent's own span in one trace", async () => {
    const agentTracer = trace.getTracer("agent");
    const agent: Agent = () => agentTracer.startActiveSpan("agent work", (span) => span.end());
    const hooks = createInboundWebhooks({ webhooks: [{ id: "alerts", auth: bearer(TOKEN), agent }], logger: memoryLogger() });
    const server = await instrumentedServer(hooks);
    const res = await server.post("alerts", JSON.stringify({ event: MARKER }), { authorization: `Bearer ${TOKEN}`, "idempotency-key": "delivery-1" });
    expect(res.status).toBe(202);
    const runId = res.json.runId as string;

    const [work] = await spansNamed("agent work", 1);
    const [serverSpan] = await spansNamed("POST /inbound-webhooks/:webhookId", 1);
    const [producer] = await spansNamed("send memory", 1);
    const [consumer] = await spansNamed("process memory", 1);
    // One server span: the instrumentation's, carrying hookrun's outcome.
    expect(otel.spans().filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(1);
    expect(serverSpan!.attributes).toMatchObject({
      "hookrun.webhook.id": "alerts",
      "hookrun.run.id": runId,
      "http.response.status_code": 202,
      "hookrun.code": "accepted",
    });
    expect(producer!.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(producer!)).toBe(idOf(serverSpan!));
    expect(producer!.attributes).toEqual({
      "hookrun.webhook.id": "alerts",
      "hookrun.run.id": runId,
      "hookrun.delivery.id": "delivery-1",
      "messaging.system": "hookrun",
      "messaging.destination.name": "memory",
      "messaging.message.id": runId,
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
    });
    expect(consumer!.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(consumer!)).toBe(idOf(producer!));
    expect(consumer!.attributes).toMatchObject({
      "hookrun.run.id": runId,
      "hookrun.run.attempt": 1,
      "hookrun.delivery.id": "delivery-1",
      "messaging.operation.type": "process",
      "messaging.message.id": runId,
    });
    expect(consumer!.status.code).toBe(SpanStatusCode.UNSET);
    // The agent runs inside its attempt's span.
    expect(parentOf(work!)).toBe(idOf(consumer!));
    expect(new Set([serverSpan, producer, consumer, work].map((span) => traceOf(span!))).size).toBe(1);
    await server.close();
    await hooks.close();
  });

  it("each failed attempt is a CONSUMER span with status ERROR and the error's message; retries share the PRODUCER parent", async () => {
    let calls = 0;
    const agent: Agent = () => {
      calls += 1;
      if (calls < 3) throw new TypeError(`upstream said no (${calls})`);
    };
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "flaky", auth: bearer(TOKEN), agent }],
      runner: memoryRunner({ attempts: 3, backoff: { delayMs: 1, jitter: 0 } }),
      logger: memoryLogger(),
    });
    const server = await instrumentedServer(hooks);
    expect((await server.post("flaky", "{}")).status).toBe(202);
    const attempts = (await spansNamed("process memory", 3)).sort((a, b) => Number(a.attributes["hookrun.run.attempt"]) - Number(b.attributes["hookrun.run.attempt"]));
    const [producer] = await spansNamed("send memory", 1);
    expect(attempts.map((span) => span.attributes["hookrun.run.attempt"])).toEqual([1, 2, 3]);
    expect(attempts.map((span) => span.status)).toEqual([
      { code: SpanStatusCode.ERROR, message: "upstream said no (1)" },
      { code: SpanStatusCode.ERROR, message: "upstream said no (2)" },
      { code: SpanStatusCode.UNSET },
    ]);
    expect(attempts[0]!.attributes["error.type"]).toBe("TypeError");
    expect(attempts[0]!.events.map((event) => [event.name, event.attributes])).toEqual([
      ["exception", { "exception.type": "TypeError", "exception.message": "upstream said no (1)" }],
    ]);
    for (const attempt of attempts) expect(parentOf(attempt)).toBe(idOf(producer!));
    await server.close();
    await hooks.close();
  });

  it("a fan-out webhook has a PRODUCER span per agent, each parenting its own CONSUMER; a replayed delivery says so and runs nothing", async () => {
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "fan", auth: bearer(TOKEN), agents: { triage: () => {}, notify: () => {} } }],
      logger: memoryLogger(),
    });
    const server = await instrumentedServer(hooks);
    const headers = { authorization: `Bearer ${TOKEN}`, "idempotency-key": "fan-1" };
    const first = await server.post("fan", "{}", headers);
    expect(first.status).toBe(202);
    const runs = first.json.runs as Array<{ agent: string; runId: string }>;
    const consumers = await spansNamed("process memory", 2);
    const producers = await spansNamed("send memory", 2);
    const [serverSpan] = await spansNamed("POST /inbound-webhooks/:webhookId", 1);
    expect(serverSpan!.attributes["hookrun.run.id"]).toBe(first.json.runId);
    for (const { agent, runId } of runs) {
      const producer = producers.find((span) => span.attributes["hookrun.agent"] === agent)!;
      const consumer = consumers.find((span) => span.attributes["hookrun.agent"] === agent)!;
      expect([producer.attributes["hookrun.run.id"], consumer.attributes["hookrun.run.id"]]).toEqual([runId, runId]);
      expect(parentOf(producer)).toBe(idOf(serverSpan!));
      expect(parentOf(consumer)).toBe(idOf(producer));
    }
    otel.reset();

    const again = await server.post("fan", "{}", headers);
    expect(again.status).toBe(202);
    const replays = await spansNamed("send memory", 2);
    expect(replays.map((span) => [span.attributes["hookrun.replayed"], span.attributes["hookrun.run.id"]]).sort()).toEqual(
      runs.map(({ runId }) => [true, runId]).sort(),
    );
    const [replayServer] = await spansNamed("POST /inbound-webhooks/:webhookId", 1);
    expect(replayServer!.attributes["hookrun.replayed"]).toBe(true);
    await hooks.close();
    await server.close();
    expect(otel.spans().filter((span) => span.name === "process memory")).toEqual([]);
  });

  it("a refused request annotates the server span with its status and code, and enqueues nothing", async () => {
    const hooks = createInboundWebhooks({ webhooks: [{ id: "alerts", auth: bearer(TOKEN), agent: () => {} }], logger: memoryLogger() });
    const server = await instrumentedServer(hooks);
    expect((await server.post("alerts", "{}", { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await server.post("alerts", "{not json", { authorization: `Bearer ${TOKEN}` })).status).toBe(400);
    const spans = await spansNamed("POST /inbound-webhooks/:webhookId", 2);
    expect(spans.map((span) => [span.attributes["http.response.status_code"], span.attributes["hookrun.code"]])).toEqual([
      [401, "unauthorized"],
      [400, "invalid_json"],
    ]);
    expect(spans.every((span) => span.attributes["hookrun.run.id"] === undefined)).toBe(true);
    expect(otel.spans().filter((span) => span.kind !== SpanKind.SERVER)).toEqual([]);
    await server.close();
    await hooks.close();
  });

  it("metrics after 202, 202, 401, 413 and a run that fails: requests by status and code, runs by outcome, durations, queue depth", async () => {
    const before = await otel.metrics();
    const hooks = createInboundWebhooks({
      webhooks: [
        { id: "ok", auth: bearer(TOKEN), agent: () => {} },
        {
          id: "broken",
          auth: bearer(TOKEN),
          agent: () => {
            throw new Error("always fails");
          },
        },
      ],
      maxBodyBytes: 64,
      runner: memoryRunner({ attempts: 2, backoff: { delayMs: 1, jitter: 0 } }),
      logger: memoryLogger(),
    });
    const server = await instrumentedServer(hooks);
    expect((await server.post("ok", "{}")).status).toBe(202);
    expect((await server.post("ok", "{}")).status).toBe(202);
    expect((await server.post("ok", "{}", { authorization: "Bearer nope" })).status).toBe(401);
    expect((await server.post("ok", JSON.stringify({ pad: "x".repeat(100) }))).status).toBe(413);
    expect((await server.post("broken", "{}")).status).toBe(202);
    await spansNamed("process memory", 4); // 2 successes, 2 failed attempts of "broken"
    await hooks.close();
    await server.close();
    const after = await otel.metrics();
    const delta = (name: string, attributes: Record<string, unknown>) =>
      Number(valueAt(after, name, attributes) ?? 0) - Number(valueAt(before, name, attributes) ?? 0);

    expect(delta("hookrun.requests", { "http.response.status_code": 202, "hookrun.code": "accepted", "hookrun.webhook.id": "ok" })).toBe(2);
    expect(delta("hookrun.requests", { "http.response.status_code": 202, "hookrun.code": "accepted", "hookrun.webhook.id": "broken" })).toBe(1);
    expect(delta("hookrun.requests", { "http.response.status_code": 401, "hookrun.code": "unauthorized" })).toBe(1);
    expect(delta("hookrun.requests", { "http.response.status_code": 413, "hookrun.code": "payload_too_large" })).toBe(1);
    // A refusal's webhook id is the sender's: not an attribute.
    expect(points(after, "hookrun.requests").filter((point) => Number(point.attributes["http.response.status_code"]) >= 400 && "hookrun.webhook.id" in point.attributes)).toEqual([]);
    expect(delta("hookrun.runs", { "hookrun.webhook.id": "ok", "hookrun.run.outcome": "succeeded" })).toBe(2);
    expect(delta("hookrun.runs", { "hookrun.webhook.id": "broken", "hookrun.run.outcome": "retrying" })).toBe(1);
    expect(delta("hookrun.runs", { "hookrun.webhook.id": "broken", "hookrun.run.outcome": "failed" })).toBe(1);
    const histogramCount = (metrics: ResourceMetrics, outcome: string, webhookId: string) =>
      (valueAt(metrics, "hookrun.run.duration", { "hookrun.webhook.id": webhookId, "hookrun.run.outcome": outcome }) as Histogram | undefined)?.count ?? 0;
    expect(histogramCount(after, "succeeded", "ok") - histogramCount(before, "succeeded", "ok")).toBe(2);
    expect(histogramCount(after, "failed", "broken") - histogramCount(before, "failed", "broken")).toBe(2);
    const unit = after.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === "hookrun.run.duration")?.descriptor.unit;
    expect(unit).toBe("s");
  });

  it("the queue depth gauge reports runs waiting and running", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "slow", auth: bearer(TOKEN), agent: () => gate }],
      runner: memoryRunner({ concurrency: 1 }),
      logger: memoryLogger(),
    });
    for (let i = 0; i < 3; i++) {
      const res = await hooks.handleInboundWebhook({ method: "POST", webhookId: "slow", headers: { authorization: `Bearer ${TOKEN}` }, body: "{}" });
      expect(res.status).toBe(202);
    }
    await spansNamed("send memory", 3);
    await new Promise((resolve) => setImmediate(resolve)); // the first run starts
    const metrics = await otel.metrics();
    const depth = points(metrics, "hookrun.queue.depth").map((point) => [point.attributes["hookrun.queue.state"], point.value]);
    expect(depth).toEqual([
      ["waiting", 2],
      ["running", 1],
    ]);
    release();
    await spansNamed("process memory", 3);
    const drained = points(await otel.metrics(), "hookrun.queue.depth").map((point) => [point.attributes["hookrun.queue.state"], point.value]);
    expect(drained).toEqual([
      ["waiting", 0],
      ["running", 0],
    ]);
    await hooks.close();
  });

  it("records no payload value, token or header anywhere in spans or metrics", async () => {
    const secret = "whsec-signing-secret-SECRET";
    const agent: Agent = (envelope) => {
      // The agent's own failure message is recorded; the payload is not.
      if ((envelope.payload as { fail?: boolean }).fail) throw new Error("agent refused this alert");
    };
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer(TOKEN), agent }],
      runner: memoryRunner({ attempts: 1 }),
      logger: memoryLogger(),
    });
    const server = await instrumentedServer(hooks);
    const headers = { authorization: `Bearer ${TOKEN}`, "x-signature": secret, "idempotency-key": "d-1" };
    expect((await server.post("alerts", JSON.stringify({ marker: MARKER, fail: true }), headers)).status).toBe(202);
    expect((await server.post("alerts", JSON.stringify({ marker: MARKER }), { ...headers, "idempotency-key": "d-2" })).status).toBe(202);
    expect((await server.post("alerts", JSON.stringify({ marker: MARKER }), { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    await spansNamed("process memory", 2);
    await hooks.close();
    await server.close();
    const recorded = JSON.stringify({
      spans: otel.spans().map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links })),
      metrics: (await otel.metrics()).scopeMetrics,
    });
    expect(recorded).toContain("agent refused this alert");
    for (const forbidden of [MARKER, TOKEN, secret, "marker", "fail\\\":true"]) expect(recorded).not.toContain(forbidden);
  });

  it("telemetry: false records nothing, even with an SDK registered", async () => {
    const hooks = createInboundWebhooks({ webhooks: [{ id: "alerts", auth: bearer(TOKEN), agent: () => {} }], logger: memoryLogger(), telemetry: false });
    const server = await instrumentedServer(hooks);
    expect((await server.post("alerts", "{}")).status).toBe(202);
    await hooks.close();
    await server.close();
    const [serverSpan] = await spansNamed("POST /inbound-webhooks/:webhookId", 1);
    expect(otel.spans()).toHaveLength(1);
    expect(Object.keys(serverSpan!.attributes)).toEqual([]);
  });

  it("a bad telemetry option is a HookrunConfigError naming the field", () => {
    expect(() => createInboundWebhooks({ webhooks: [], telemetry: "on" as never })).toThrow(HookrunConfigError);
    expect(() => createInboundWebhooks({ webhooks: [], telemetry: "on" as never })).toThrow(/options\.telemetry/);
  });
});
