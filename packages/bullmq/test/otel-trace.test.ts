import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bundleFixture, killAll, startFixture } from "./fixture-process";

/**
 * One trace across processes: a client's traceparent → the ingress's SERVER span → its PRODUCER
 * span → (the job in a real Redis) → the worker process's CONSUMER spans, one per attempt → the
 * agent's own span. Each process exports its spans to its own file.
 */
interface ExportedSpan {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const script = here("./.build/otel-process.mjs");
const redisUrl = inject("redisUrl");
const prefix = `otel${randomUUID().slice(0, 8)}`;
const queue = `otel-${randomUUID()}`;
const children = new Set<ChildProcess>();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hookrun-otel-"));
  // The SDK and the API stay packages, as in an app: hookrun requires the API by itself.
  await bundleFixture(here("./fixtures/otel-process.ts"), script, ["@opentelemetry/*"]);
});

afterAll(async () => {
  killAll(children);
  const url = new URL(redisUrl);
  const redis = new Redis({ host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(role: "ingress" | "worker", spansFile: string): Promise<Record<string, unknown>> {
  const env = { ROLE: role, REDIS_URL: redisUrl, PREFIX: prefix, QUEUE: queue, SPANS_FILE: spansFile };
  return (await startFixture(script, env, children)).hello;
}

async function spansIn(file: string): Promise<ExportedSpan[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportedSpan);
}

async function waitForSpans(file: string, done: (spans: ExportedSpan[]) => boolean): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const spans = await spansIn(file);
    if (done(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`timed out; spans so far: ${JSON.stringify(spans.map((span) => span.name))}`);
    await sleep(50);
  }
}

describe("OpenTelemetry across an ingress and a worker process (bullmqRunner, real Redis)", () => {
  it("the worker's CONSUMER spans continue the ingress's trace, parented by its PRODUCER span", { timeout: 120_000 }, async () => {
    const ingressFile = join(dir, "ingress.jsonl");
    const workerFile = join(dir, "worker.jsonl");
    const { port } = await start("ingress", ingressFile);
    await start("worker", workerFile);

    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: {
        authorization: "Bearer otel-token-SECRET",
        "idempotency-key": "delivery-otel-1",
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({ marker: "payload-marker-91c2" }),
    });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };

    const ingress = await waitForSpans(ingressFile, (spans) => spans.some((span) => span.kind === "SERVER"));
    const worker = await waitForSpans(workerFile, (spans) => spans.some((span) => span.name === "agent work"));
    const serverSpan = ingress.find((span) => span.kind === "SERVER")!;
    const producer = ingress.find((span) => span.kind === "PRODUCER")!;
    const consumers = worker.filter((span) => span.kind === "CONSUMER").sort((a, b) => Number(a.attributes["hookrun.run.attempt"]) - Number(b.attributes["hookrun.run.attempt"]));
    const work = worker.find((span) => span.name === "agent work")!;

    // The ingress: the caller's trace, hookrun's outcome on the server span, the PRODUCER under it.
    expect(serverSpan).toMatchObject({ traceId, parentSpanId: callerSpanId });
    expect(serverSpan.attributes).toMatchObject({ "hookrun.webhook.id": "traced", "hookrun.run.id": runId, "hookrun.code": "accepted" });
    expect(producer).toMatchObject({ name: `send ${queue}`, traceId, parentSpanId: serverSpan.spanId });
    expect(producer.attributes).toMatchObject({
      "messaging.system": "bullmq",
      "messaging.destination.name": queue,
      "messaging.operation.type": "send",
      "messaging.message.id": runId,
      "hookrun.run.id": runId,
      "hookrun.delivery.id": "delivery-otel-1",
    });
    // The worker: one CONSUMER span per attempt, both children of the ingress's PRODUCER span.
    expect(consumers.map((span) => [span.name, span.traceId, span.parentSpanId, span.attributes["hookrun.run.attempt"]])).toEqual([
      [`process ${queue}`, traceId, producer.spanId, 1],
      [`process ${queue}`, traceId, producer.spanId, 2],
    ]);
    expect(consumers[0]!.status).toEqual({ code: 2, message: "first attempt fails" });
    expect(consumers[1]!.status.code).toBe(0);
    expect(consumers[1]!.attributes).toMatchObject({ "messaging.operation.type": "process", "messaging.system": "bullmq", "hookrun.run.id": runId });
    expect(work).toMatchObject({ traceId, parentSpanId: consumers[1]!.spanId });
    // Nothing the sender sent besides ids: no payload, no credential.
    const recorded = JSON.stringify([ingress, worker]);
    expect(recorded).not.toContain("payload-marker-91c2");
    expect(recorded).not.toContain("otel-token-SECRET");
  });
});
