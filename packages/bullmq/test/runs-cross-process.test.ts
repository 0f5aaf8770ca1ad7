import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bearer, createInboundWebhooks, type InboundWebhooks, type RunRecord, type RunStatus } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { serveHooks } from "../../../test/support/hooks-server";
import { bundleFixture, kill9, startFixture } from "./fixture-process";

/**
 * The point of Redis-backed records: an ingress process (this one) and a worker in another process
 * see the same runs. The worker writes the attempts, logs and result; the ingress lists them.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const script = here("./.build/runs-worker.mjs");
const redisUrl = inject("redisUrl");
const url = new URL(redisUrl);
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const redis = new Redis(connection);
const prefix = `xruns${randomUUID().slice(0, 8)}`;
const queueName = `q-${randomUUID()}`;
const children = new Set<ChildProcess>();
let worker: ChildProcess | undefined;

beforeAll(async () => {
  await bundleFixture(here("./fixtures/runs-worker.ts"), script);
  ({ child: worker } = await startFixture(script, { REDIS_URL: redisUrl, PREFIX: prefix, QUEUE: queueName }, children));
});

afterAll(async () => {
  if (worker && worker.exitCode === null) await kill9(worker);
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
});

async function waitForStatus(hooks: InboundWebhooks, runId: string, status: RunStatus): Promise<RunRecord> {
  const deadline = Date.now() + 30_000;
  let last: RunRecord | undefined;
  while (Date.now() < deadline) {
    last = await hooks.runs.get(runId);
    if (last?.status === status) return last;
    await sleep(20);
  }
  throw new Error(`run ${runId} did not reach ${status} (last: ${last?.status ?? "none"})`);
}

describe("run records across processes (bullmqRunner)", () => {
  it("the ingress sees the attempts, logs and result a worker in another process wrote, and replays onto it", async () => {
    const ingress = createInboundWebhooks({
      role: "ingress",
      runner: bullmqRunner({ connection, prefix, queueName }),
      webhooks: [{ id: "orders", auth: bearer("runs-token"), agent: () => undefined }],
    });
    const server = await serveHooks(ingress);
    try {
      const res = await server.post("orders", '{"order":"o-9","fail":true}', { authorization: "Bearer runs-token", "idempotency-key": "x-1" });
      expect(res.status).toBe(202);
      const runId = res.json.runId as string;
      // Recorded by the ingress before any worker touched it, or already picked up by the worker.
      expect(["queued", "running", "retrying", "succeeded"]).toContain((await ingress.runs.get(runId))?.status);
      const record = await waitForStatus(ingress, runId, "succeeded");
      const workerPid = worker!.pid;
      expect(workerPid).not.toBe(process.pid);
      expect(record).toMatchObject({
        runId,
        webhookId: "orders",
        deliveryId: "x-1",
        envelope: { page: "inbound_webhook", inboundWebhookId: "orders", payload: { order: "o-9", fail: true } },
        result: { pid: workerPid, attempt: 2 },
        request: { bytes: 27 },
      });
      expect(record.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2]);
      expect(record.attempts[0]!.error!.message).toBe(`failed in ${workerPid}`);
      expect(record.attempts[0]!.error!.stack).toContain(`Error: failed in ${workerPid}`);
      expect(record.attempts[1]!.error).toBeUndefined();
      for (const attempt of record.attempts) {
        expect(attempt.logs).toEqual([{ time: expect.any(Number), level: "info", message: "worker handling order", fields: { pid: workerPid, replayOf: null } }]);
      }
      expect((await ingress.runs.list({ webhookId: "orders" })).runs.map((run) => run.runId)).toEqual([runId]);

      const replay = await ingress.runs.replay(runId, { reason: "from the ingress" });
      const replayed = await waitForStatus(ingress, replay.runId, "succeeded");
      expect(replayed).toMatchObject({ replayOf: runId, replayReason: "from the ingress", result: { pid: workerPid, attempt: 1 } });
      expect(replayed.attempts[0]!.logs[0]!.fields).toEqual({ pid: workerPid, replayOf: runId });
      expect((await ingress.runs.get(runId))!.replays).toEqual([replay.runId]);
      // A second ingress (another machine) reads the same records.
      const other = createInboundWebhooks({ role: "ingress", runner: bullmqRunner({ connection, prefix, queueName }), webhooks: [] });
      expect((await other.runs.list()).runs.map((run) => run.runId)).toEqual([replay.runId, runId]);
      await other.close();
    } finally {
      await server.close();
      await ingress.close();
    }
  });
});
