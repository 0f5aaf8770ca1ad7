import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { bearer, createInboundWebhooks } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { bundleFixture, kill9, killAll, startFixture, type Fixture } from "../../bullmq/test/fixture-process";

/**
 * Retry-safe writes with real processes and a real Redis: a worker running an aiAgent is `kill -9`ed
 * at a chosen point; the next attempt runs in another worker process. The side effect is a line
 * appended to a file, so the test counts what really happened.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const script = here("./.build/ai-worker-process.mjs");
const redisUrl = inject("redisUrl");
const url = new URL(redisUrl);
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const redis = new Redis(connection);
const prefix = `aicrash${randomUUID().slice(0, 8)}`;
const children = new Set<ChildProcess>();

beforeAll(() => bundleFixture(here("./fixtures/ai-worker-process.ts"), script, ["ai", "zod"]));

afterEach(() => killAll(children));

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** A worker process, once it has printed {"ready":true}. */
function startWorker(env: Record<string, string>): Promise<Fixture> {
  return startFixture(script, { REDIS_URL: redisUrl, PREFIX: prefix, ...env }, children);
}

async function post(queue: string, account: string): Promise<string> {
  const ingress = createInboundWebhooks({
    role: "ingress",
    runner: bullmqRunner({ connection, prefix, queueName: queue }),
    webhooks: [{ id: "ledger", auth: bearer("ledger-token"), agent: () => {} }],
  });
  const res = await ingress.handleInboundWebhook({ method: "POST", webhookId: "ledger", headers: { authorization: "Bearer ledger-token" }, body: JSON.stringify({ account }) });
  await ingress.close();
  expect(res.status).toBe(202);
  return JSON.parse(res.body).runId;
}

describe("aiAgent on bullmqRunner: a killed worker's write is not repeated", () => {
  it("kill -9 after the write completed: the next attempt, in another process, gets the recorded result and writes nothing", { timeout: 120_000 }, async () => {
    const queue = `ai-${randomUUID()}`;
    const ledger = join(await mkdtemp(join(tmpdir(), "ai-crash-")), "ledger.txt");
    await writeFile(ledger, "");
    const first = await startWorker({ QUEUE: queue, MODE: "hang-after-write", SIDE_EFFECTS: ledger });
    const runId = await post(queue, "acct_1");
    expect(await first.next("wrote")).toEqual({ wrote: 1 });
    // The write returned and its result is in Redis before the next model call starts; give that
    // call a moment to be under way, then kill the worker mid-run.
    await waitFor(async () => (await redis.keys(`${prefix}:${queue}:effect:*`)).length === 1 && (await redis.get((await redis.keys(`${prefix}:${queue}:effect:*`))[0]!))!.startsWith("c:"));
    await kill9(first.child);

    const second = await startWorker({ QUEUE: queue, MODE: "finish", SIDE_EFFECTS: ledger });
    const { record, runId: ranRunId } = (await second.next("record")) as { record: any; runId: string };
    expect(ranRunId).toBe(runId);
    const lines = (await readFile(ledger, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(1);
    // The bound account, not the model's; the effect key the tool got is the one in Redis.
    const [account, line, key] = lines[0]!.split(" ");
    expect([account, line]).toEqual(["acct_1", "welcome"]);
    expect(await redis.exists(`${prefix}:${queue}:effect:${key}`)).toBe(1);
    expect(record).toEqual({
      stopReason: "completed",
      steps: [
        {
          finishReason: "tool-calls",
          toolCalls: [{ toolName: "appendLine", input: { account: "acct_1", line: "welcome" }, output: { lineNumber: 1 }, durationMs: expect.any(Number) }],
          usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
        },
        { finishReason: "stop", toolCalls: [], usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } },
      ],
      usage: { inputTokens: 20, outputTokens: 10, totalTokens: 30 },
      text: "done",
    });
    // The record is the run's result in the run records, read from Redis by another process's hooks.
    const reader = createInboundWebhooks({ role: "ingress", runner: bullmqRunner({ connection, prefix, queueName: queue }), webhooks: [{ id: "ledger", auth: bearer("ledger-token"), agent: () => {} }] });
    await waitFor(async () => (await reader.runs.get(runId))?.status === "succeeded");
    expect((await reader.runs.get(runId))!.result).toEqual(record);
    await reader.close();
  });

  it("kill -9 inside the write (it never reported back): the next attempt tells the model 'outcome unknown, verify first' and writes nothing", { timeout: 120_000 }, async () => {
    const queue = `ai-${randomUUID()}`;
    const ledger = join(await mkdtemp(join(tmpdir(), "ai-crash-")), "ledger.txt");
    await writeFile(ledger, "");
    const first = await startWorker({ QUEUE: queue, MODE: "hang-in-write", SIDE_EFFECTS: ledger });
    await post(queue, "acct_2");
    expect(await first.next("wrote")).toEqual({ wrote: 1 });
    await kill9(first.child);

    const second = await startWorker({ QUEUE: queue, MODE: "finish", SIDE_EFFECTS: ledger });
    const { record } = (await second.next("record")) as { record: any };
    expect((await readFile(ledger, "utf8")).trim().split("\n")).toHaveLength(1);
    expect(record.stopReason).toBe("completed");
    expect(record.steps[0].toolCalls).toEqual([
      { toolName: "appendLine", input: { account: "acct_2", line: "welcome" }, error: expect.stringMatching(/^outcome unknown, verify first/), durationMs: expect.any(Number) },
    ]);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
