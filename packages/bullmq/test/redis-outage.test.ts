import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks } from "@hookrun/core";
import { bullmqRunner, type BullmqRunner } from "@hookrun/bullmq";
import { recorder } from "../../../test/support/events";
import { serveHooks, type HooksServer } from "../../../test/support/hooks-server";
import { startRedisProcess, type RedisProcess } from "../../../test/support/redis-process";

/**
 * Redis dies (`kill -9`, AOF on) while senders keep posting, and comes back on the same port:
 * the ingress answers `503 queue_unavailable` with `Retry-After` at once instead of hanging, logs
 * the outage once and its end once, and every request that got a `202` runs.
 */
let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedisProcess();
});
afterAll(async () => {
  await redis?.stop();
});

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  runId?: string;
  ms: number;
}

async function post(server: HooksServer, n: number): Promise<Answer> {
  const started = performance.now();
  const res = await server.post("alerts", JSON.stringify({ n }), { authorization: "Bearer t" });
  return { status: res.status, code: res.json.code as string | undefined, retryAfter: res.headers.get("retry-after"), runId: res.json.runId as string | undefined, ms: performance.now() - started };
}

/** Posts until one is accepted (Redis is back and the client reconnected), for at most 30 s. */
async function untilAccepted(server: HooksServer): Promise<Answer> {
  const deadline = Date.now() + 30_000;
  let answer = await post(server, -1);
  while (answer.status !== 202 && Date.now() < deadline) {
    await sleep(100);
    answer = await post(server, -1);
  }
  return answer;
}

describe("Redis outage", () => {
  it("kill -9 of redis-server: 503 queue_unavailable + Retry-After at once, one log line each way, no 202 lost", { timeout: 120_000 }, async () => {
    const ran = new Set<string>();
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: async (_envelope, ctx) => void ran.add(ctx.runId) }],
      runner: bullmqRunner({ connection: { host: "127.0.0.1", port: redis.port }, queueName: "outage", lockDurationMs: 2_000, stalledIntervalMs: 1_000 }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    const server = await serveHooks(hooks);
    const answers: Answer[] = [];
    let n = 0;
    let sending = true;
    // Eight senders posting all along: before, during and after the outage.
    const lanes = Array.from({ length: 8 }, async () => {
      while (sending) {
        answers.push(await post(server, n++));
        await sleep(10);
      }
    });
    const phase = async (check: () => boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };
    await phase(() => answers.filter((a) => a.status === 202).length >= 50, "50 accepted before the outage");
    await redis.kill9();
    const killedAt = answers.length;
    await phase(() => answers.slice(killedAt).filter((a) => a.status === 503).length >= 100, "100 refusals during the outage");
    const duringOutage = answers.slice(killedAt).filter((a) => a.status === 503);
    await redis.restart();
    const restartedAt = answers.length;
    await phase(() => answers.slice(restartedAt).filter((a) => a.status === 202).length >= 50, "50 accepted after the restart");
    sending = false;
    await Promise.all(lanes);

    // Every answer is a 202 or a 503 queue_unavailable that says when to retry; nothing hangs.
    for (const answer of answers) {
      if (answer.status === 202) continue;
      expect(answer).toMatchObject({ status: 503, code: "queue_unavailable", retryAfter: "5" });
    }
    // Refused at once while Redis is known down: no Redis wait at all (the old default waited 10 s
    // for each). Measured: tens of ms; the bound is loose so a loaded machine cannot make it flaky.
    const slowest = Math.max(...duringOutage.map((a) => a.ms));
    expect(slowest).toBeLessThan(5_000);
    // One line when the outage began, one when it ended: not one per request or reconnect attempt.
    expect(rec.logs.filter((log) => /queue backend unreachable/.test(log.message))).toHaveLength(1);
    await phase(() => rec.logs.some((log) => /queue backend reachable again/.test(log.message)), "the recovery line");
    expect(rec.logs.filter((log) => /queue backend reachable again/.test(log.message))).toHaveLength(1);
    expect(rec.logs.filter((log) => log.level === "error").map((log) => `${log.message} ${JSON.stringify(log.fields)}`)).toEqual([
      expect.stringMatching(/^queue backend unreachable/),
    ]);
    // Every 202 ran, the ones accepted just before the kill included (the AOF kept them).
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.runId!);
    await phase(() => accepted.every((runId) => ran.has(runId)), `all ${accepted.length} accepted runs to run`);
    if (process.env.FAULTS_REPORT) {
      console.info({ answers: answers.length, accepted: accepted.length, refused: answers.length - accepted.length, slowestRefusalMs: Math.round(slowest) });
    }
    await server.close();
    await hooks.close({ timeoutMs: 5_000 });
  });

  it("a hung Redis (SIGSTOP: connected, answering nothing): 503 queue_unavailable after enqueueTimeoutMs, then sooner, 202 once it answers", { timeout: 60_000 }, async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => {} }],
      role: "ingress",
      runner: bullmqRunner({ connection: { host: "127.0.0.1", port: redis.port }, queueName: "outage-hung" }),
      logger: rec.logger,
    });
    const server = await serveHooks(hooks);
    expect((await post(server, 0)).status).toBe(202);
    redis.pause();
    try {
      const first = await post(server, 1);
      const next = await post(server, 2);
      expect(first).toMatchObject({ status: 503, code: "queue_unavailable", retryAfter: "5" });
      expect(next).toMatchObject({ status: 503, code: "queue_unavailable", retryAfter: "5" });
      // Bounded by enqueueTimeoutMs (2 s), then by the short wait (500 ms) while Redis has not answered since.
      expect(first.ms).toBeGreaterThanOrEqual(1_900);
      expect((hooks.runner as BullmqRunner).health()).toMatchObject({ ok: false, state: "down", detail: "Redis did not answer within 500 ms" });
      expect(rec.logs.filter((log) => /queue backend unreachable/.test(log.message))).toHaveLength(1);
    } finally {
      redis.resume();
    }
    expect((await untilAccepted(server)).status).toBe(202);
    expect(rec.logs.filter((log) => /queue backend reachable again/.test(log.message))).toHaveLength(1);
    await server.close();
    await hooks.close({ timeoutMs: 1_000 });
  });

  it("answers 503 queue_unavailable at once when Redis is down before the first request", { timeout: 60_000 }, async () => {
    const rec = recorder();
    await redis.kill9();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => {} }],
      role: "ingress",
      runner: bullmqRunner({ connection: { host: "127.0.0.1", port: redis.port }, queueName: "outage-start" }),
      logger: rec.logger,
    });
    const server = await serveHooks(hooks);
    const first = await post(server, 0);
    expect(first).toMatchObject({ status: 503, code: "queue_unavailable", retryAfter: "5" });
    await redis.restart();
    expect((await untilAccepted(server)).status).toBe(202);
    expect(rec.logs.filter((log) => /queue backend unreachable/.test(log.message))).toHaveLength(1);
    await server.close();
    await hooks.close({ timeoutMs: 1_000 });
  });
});
