import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, HookrunConfigError, memoryRunner } from "@hookrun/core";
import { recorder } from "../../../../test/support/events";
import { senderDeliveryIds } from "../../../../test/support/delivery-contract";
import { runnerContract } from "../../../../test/support/runner-contract";

runnerContract("memoryRunner", (options) => memoryRunner(options));
senderDeliveryIds("memoryRunner", (options) => memoryRunner(options));

const webhooks = [{ id: "alerts", auth: bearer("t"), agent: () => {} }];
const request = (headers: Record<string, string> = {}) => ({
  method: "POST",
  webhookId: "alerts",
  headers: { authorization: "Bearer t", ...headers },
  body: "{}",
});

describe("memoryRunner", () => {
  it("only plays the 'both' role: ingress or worker alone is a configuration error", () => {
    for (const role of ["ingress", "worker"] as const) {
      expect(() => createInboundWebhooks({ webhooks, role, runner: memoryRunner() })).toThrow(HookrunConfigError);
      try {
        createInboundWebhooks({ webhooks, role });
      } catch (error) {
        expect((error as HookrunConfigError).field).toBe("options.role");
      }
    }
  });

  it("rejects bad options naming the field", () => {
    expect(() => memoryRunner({ attempts: 0 })).toThrow(/memoryRunner\.attempts/);
    expect(() => memoryRunner({ backoff: { jitter: 2 } })).toThrow(/memoryRunner\.backoff\.jitter/);
    expect(() => memoryRunner({ timeoutMs: -1 })).toThrow(/memoryRunner\.timeoutMs/);
  });

  it("forgets a delivery id after idempotencyTtlMs", async () => {
    const runs: string[] = [];
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: (_e, ctx) => void runs.push(ctx.runId) }],
      runner: memoryRunner({ idempotencyTtlMs: 50 }),
      onEvent: rec.onEvent,
    });
    const first = await hooks.handleInboundWebhook(request({ "idempotency-key": "k" }));
    const replay = await hooks.handleInboundWebhook(request({ "idempotency-key": "k" }));
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(JSON.parse(replay.body).runId).toBe(JSON.parse(first.body).runId);
    await sleep(80);
    const later = await hooks.handleInboundWebhook(request({ "idempotency-key": "k" }));
    expect(later.headers["idempotent-replayed"]).toBeUndefined();
    expect(JSON.parse(later.body).runId).not.toBe(JSON.parse(first.body).runId);
    await rec.waitFor("run.succeeded", 2);
    expect(runs).toEqual([JSON.parse(first.body).runId, JSON.parse(later.body).runId]);
    await hooks.close();
  });

  it("dead-letters the runs still queued when close({ timeoutMs }) gives up", async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: (_e, ctx) => sleep(30_000, undefined, { signal: ctx.signal }) }],
      runner: memoryRunner({ concurrency: 1 }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(JSON.parse((await hooks.handleInboundWebhook(request())).body).runId);
    await rec.waitFor("run.started");
    await hooks.close({ timeoutMs: 50 });
    const letters = await hooks.runner.deadLetters();
    expect(letters.map((letter) => letter.runId).sort()).toEqual([...ids].sort());
    expect(letters.filter((letter) => letter.error === "hookrun closed before this run could finish")).toHaveLength(2);
    expect(rec.of("run.failed")).toHaveLength(3);
  });

  it("an agent that ignores its aborted signal does not keep its slot past the timeout", async () => {
    const rec = recorder();
    const started: number[] = [];
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: (_e, ctx) => (started.push(ctx.attempt), new Promise(() => {})) }],
      runner: memoryRunner({ concurrency: 1, attempts: 1, timeoutMs: 50 }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    await hooks.handleInboundWebhook(request());
    await hooks.handleInboundWebhook(request());
    // Both runs got the single slot in turn, each failing on its timeout.
    await rec.waitFor("run.failed", 2);
    expect(started).toEqual([1, 1]);
    await hooks.close();
  });
});

describe("memoryRunner under bursts (defaults)", () => {
  it("absorbs 20,000 no-op runs arriving 200 per event-loop turn with zero refusals, each agent after its own 202", async () => {
    // Each agent checks that its request had already been answered when it started.
    const answered = new Set<string>();
    const startedEarly: string[] = [];
    let ran = 0;
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: (_e, ctx) => void (ran++, answered.has(ctx.runId) || startedEarly.push(ctx.runId)) }],
    });
    const statuses = new Map<number, number>();
    for (let turn = 0; turn < 100; turn++) {
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          const response = await hooks.handleInboundWebhook(request());
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status === 202) answered.add(JSON.parse(response.body).runId);
        }),
      );
      await new Promise(setImmediate);
    }
    await hooks.close();
    expect(Object.fromEntries(statuses)).toEqual({ 202: 20_000 });
    expect(ran).toBe(20_000);
    expect(startedEarly).toEqual([]);
  });

  it("times out each of many concurrent hanging runs on its own deadline", async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => new Promise(() => {}) }],
      runner: memoryRunner({ concurrency: 3, attempts: 1, timeoutMs: 40 }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    for (let i = 0; i < 7; i++) await hooks.handleInboundWebhook(request());
    // 7 runs through 3 slots: three waves of timeouts, every run failed by its own timeout.
    const failed = await rec.waitFor("run.failed", 7);
    expect(failed.map((event) => event.error)).toEqual(Array.from({ length: 7 }, () => "the agent did not finish within 40 ms"));
    expect(failed.every((event) => event.durationMs >= 39)).toBe(true);
    await hooks.close();
  });
});

describe("memoryRunner backpressure", () => {
  it("counts runs waiting for a retry against maxQueued", async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => Promise.reject(new Error("down")) }],
      runner: memoryRunner({ concurrency: 4, maxQueued: 2, attempts: 2, backoff: { delayMs: 60_000, jitter: 0 } }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    await hooks.handleInboundWebhook(request());
    await hooks.handleInboundWebhook(request());
    await rec.waitFor("run.retrying", 2);
    // No agent runs, but two runs wait for their retry: the bound is reached.
    const full = await hooks.handleInboundWebhook(request());
    expect(full.status).toBe(429);
    expect(JSON.parse(full.body).code).toBe("queue_full");
    await hooks.close({ timeoutMs: 10 });
    expect((await hooks.runner.deadLetters()).map((letter) => letter.error)).toEqual([
      "hookrun closed before this run could finish",
      "hookrun closed before this run could finish",
    ]);
  });
});
