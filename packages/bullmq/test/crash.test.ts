import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { bundleFixture, kill9, killAll, startFixture, type Fixture } from "./fixture-process";

/**
 * Crash safety, with real processes: an ingress process and a worker process; 1,000 webhooks;
 * `kill -9` of the worker mid-way; a new worker. The durable runner must lose nothing; the
 * embedded memoryRunner is shown not to promise that.
 */
const TOTAL = 1_000;
const WORKER_CONCURRENCY = 8;
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const script = here("./.build/crash-process.mjs");
const redisUrl = inject("redisUrl");
const url = new URL(redisUrl);
const redis = new Redis({ host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null });
const prefix = `crash${randomUUID().slice(0, 8)}`;
const children = new Set<ChildProcess>();

beforeAll(() => bundleFixture(here("./fixtures/crash-process.ts"), script));

afterEach(() => killAll(children));

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
});

/** Starts a fixture process and resolves with its first stdout JSON line. */
function start(env: Record<string, string>): Promise<Fixture> {
  return startFixture(script, { REDIS_URL: redisUrl, PREFIX: prefix, CONCURRENCY: String(WORKER_CONCURRENCY), ...env }, children);
}

/** Posts TOTAL webhooks, 25 at a time, each with its own delivery id. */
async function sendAll(port: number, deliveryPrefix: string): Promise<Array<{ status: number; runId: string; deliveryId: string }>> {
  const results: Array<{ status: number; runId: string; deliveryId: string }> = [];
  let next = 0;
  const lane = async () => {
    while (next < TOTAL) {
      const deliveryId = `${deliveryPrefix}-${next++}`;
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { authorization: "Bearer crash-token", "idempotency-key": deliveryId },
        body: JSON.stringify({ deliveryId }),
      });
      const body = (await res.json()) as { runId: string };
      results.push({ status: res.status, runId: body.runId, deliveryId });
    }
  };
  await Promise.all(Array.from({ length: 25 }, lane));
  return results;
}

async function records(name: "starts" | "successes", run: string) {
  const lines = await redis.lrange(`${prefix}:record:${name}`, 0, -1);
  return lines.map((line) => line.split(" ") as [string, string, string, string?]).filter(([, deliveryId]) => deliveryId!.startsWith(run));
}

/** Runs `tag`'s process has started and not (yet) finished. */
async function inFlight(tag: string, run: string): Promise<number> {
  const [starts, successes] = await Promise.all([records("starts", run), records("successes", run)]);
  const done = new Set(successes.filter(([t]) => t === tag).map(([, id]) => id));
  return starts.filter(([t, id]) => t === tag && !done.has(id)).length;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("crash safety", () => {
  it("bullmqRunner: kill -9 of the worker mid-way loses none of 1,000 accepted runs", { timeout: 180_000 }, async () => {
    const queue = `crash-${randomUUID()}`;
    const run = "bull";
    const { hello } = await start({ ROLE: "ingress", RUNNER: "bullmq", QUEUE: queue, TAG: "ingress" });
    const first = await start({ ROLE: "worker", RUNNER: "bullmq", QUEUE: queue, TAG: "first" });

    const sending = sendAll(hello.port as number, run);
    await waitUntil(async () => (await records("successes", run)).length >= 200, 60_000, "200 runs on the first worker");
    // Kill while the first worker is inside a run (on a loaded machine it can sit idle, waiting for the ingress).
    await waitUntil(async () => (await inFlight("first", run)) > 0, 60_000, "a run in progress on the first worker");
    await kill9(first.child);
    const succeededBeforeKill = (await records("successes", run)).length;
    await start({ ROLE: "worker", RUNNER: "bullmq", QUEUE: queue, TAG: "second" });

    const responses = await sending;
    expect(responses.filter((res) => res.status === 202)).toHaveLength(TOTAL);
    const runIdOf = new Map(responses.map((res) => [res.deliveryId, res.runId]));
    expect(new Set(runIdOf.values()).size).toBe(TOTAL);
    await waitUntil(async () => new Set((await records("successes", run)).map(([, id]) => id)).size === TOTAL, 120_000, "every run to succeed");
    await sleep(500); // let any straggler finish, so a duplicate would be seen

    expect(succeededBeforeKill).toBeLessThan(TOTAL);
    const successes = await records("successes", run);
    const starts = await records("starts", run);
    // Every accepted run completed, under the runId its 202 carried.
    const succeededRuns = new Set(successes.map(([, deliveryId, runId]) => `${deliveryId} ${runId}`));
    for (const [deliveryId, runId] of runIdOf) expect(succeededRuns.has(`${deliveryId} ${runId}`)).toBe(true);
    expect(successes.every(([, deliveryId, runId]) => runIdOf.get(deliveryId) === runId)).toBe(true);
    // The killed worker was cut mid-run: some runs it started never succeeded there, and ran again.
    const startedOnFirst = new Set(starts.filter(([tag]) => tag === "first").map(([, id]) => id));
    const succeededOnFirst = new Set(successes.filter(([tag]) => tag === "first").map(([, id]) => id));
    const cut = [...startedOnFirst].filter((id) => !succeededOnFirst.has(id));
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    for (const id of cut) expect(starts.some(([tag, deliveryId]) => tag === "second" && deliveryId === id)).toBe(true);
    // ctx.attempt tells a run that it runs again: 2 on the new worker for every run the killed one had started.
    // (A job the killed worker had taken but not yet begun to run counts as started too: 1 or 2 for those.)
    for (const [tag, id, , attempt] of starts) {
      if (tag === "first") expect(attempt).toBe("1");
      else if (startedOnFirst.has(id)) expect(attempt).toBe("2");
      else expect(["1", "2"]).toContain(attempt);
    }
    expect(starts.filter(([tag, id, , attempt]) => tag === "second" && cut.includes(id) && attempt === "2")).toHaveLength(cut.length);
    // Exactly one success per delivery id, except (at-least-once) a run whose success was recorded in
    // the instant between the agent returning and Redis marking it done when the kill landed.
    const successCount = new Map<string, number>();
    for (const [, id] of successes) successCount.set(id!, (successCount.get(id!) ?? 0) + 1);
    const twice = [...successCount].filter(([, count]) => count > 1).map(([id]) => id);
    expect(successCount.size).toBe(TOTAL);
    expect(twice.every((id) => successCount.get(id) === 2 && startedOnFirst.has(id))).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(WORKER_CONCURRENCY - cut.length);
    if (process.env.CRASH_REPORT) console.info({ succeededBeforeKill, cut: cut.length, twice: twice.length, successes: successes.length, starts: starts.length });
    // BullMQ's view: all 1,000 jobs completed, none failed or left waiting.
    expect(await redis.zcard(`${prefix}:${queue}:completed`)).toBe(TOTAL);
    expect(await redis.zcard(`${prefix}:${queue}:failed`)).toBe(0);
    expect(await redis.llen(`${prefix}:${queue}:wait`)).toBe(0);
    expect(await redis.llen(`${prefix}:${queue}:active`)).toBe(0);
  });

  it("memoryRunner (what the embedded default does not promise): kill -9 loses the runs it held", { timeout: 120_000 }, async () => {
    const run = "mem";
    const first = await start({ ROLE: "both", RUNNER: "memory", TAG: "first" });
    const responses = await sendAll(first.hello.port as number, run);
    expect(responses.filter((res) => res.status === 202)).toHaveLength(TOTAL);
    await waitUntil(async () => (await records("successes", run)).length >= 50, 60_000, "50 runs");
    await kill9(first.child);
    // A new process starts empty: the queue lived in the killed process's memory.
    await start({ ROLE: "both", RUNNER: "memory", TAG: "second" });
    await sleep(1_000);
    const succeeded = new Set((await records("successes", run)).map(([, id]) => id));
    expect(succeeded.size).toBeLessThan(TOTAL);
    expect((await records("starts", run)).some(([tag]) => tag === "second")).toBe(false);
  });
});
