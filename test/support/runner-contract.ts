import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, type Agent, type AgentContext, type Envelope, type InboundWebhooks, type Runner, type RunnerOptions } from "@hookrun/core";
import { recorder, type Recorder } from "./events";
import { serveHooks, type HooksServer } from "./hooks-server";

const TOKEN = "contract-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** Options every runner under contract must understand. */
export type ContractRunnerOptions = RunnerOptions & { maxQueued?: number };

interface Setup {
  hooks: InboundWebhooks;
  server: HooksServer;
  rec: Recorder;
}

/**
 * The background-runner contract from DESIGN.md, run against any runner: retries with backoff,
 * dead letters, timeouts through the signal, idempotency by delivery id, backpressure, drain.
 */
export function runnerContract(name: string, makeRunner: (options: ContractRunnerOptions) => Runner): void {
  describe(`runner contract: ${name}`, () => {
    const open: Setup[] = [];
    afterEach(async () => {
      for (const { hooks, server } of open.splice(0)) {
        await server.close();
        await hooks.close({ timeoutMs: 200 });
      }
    });

    async function setup(agent: Agent, options: ContractRunnerOptions = {}, extra: { deliveryId?: (r: { payload: unknown }) => string | undefined } = {}): Promise<Setup> {
      const rec = recorder();
      const hooks = createInboundWebhooks({
        webhooks: [
          { id: "alerts", auth: bearer(TOKEN), agent, ...(extra.deliveryId ? { deliveryId: extra.deliveryId } : {}) },
          { id: "other", auth: bearer(TOKEN), agent },
        ],
        runner: makeRunner({ backoff: { delayMs: 20, jitter: 0.5 }, ...options }),
        logger: rec.logger,
        onEvent: rec.onEvent,
      });
      const server = await serveHooks(hooks);
      const result = { hooks, server, rec };
      open.push(result);
      return result;
    }

    it("runs the agent with the exact envelope and its context", async () => {
      const seen: Array<{ envelope: Envelope; ctx: AgentContext }> = [];
      const { server, rec } = await setup((envelope, ctx) => void seen.push({ envelope, ctx }));
      const res = await server.post("alerts", '{"event":"x","__proto__":{"polluted":1}}', { ...AUTH, "x-github-delivery": "gh-1" });
      expect(res.status).toBe(202);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      await rec.waitFor("run.succeeded");
      expect(seen).toHaveLength(1);
      const [{ envelope, ctx }] = seen as [{ envelope: Envelope; ctx: AgentContext }];
      expect(JSON.stringify(envelope)).toBe('{"page":"inbound_webhook","inboundWebhookId":"alerts","payload":{"event":"x","__proto__":{"polluted":1}}}');
      expect(Object.keys(envelope)).toEqual(["page", "inboundWebhookId", "payload"]);
      expect(ctx.runId).toBe(res.json.runId);
      expect(ctx.attempt).toBe(1);
      expect(ctx.deliveryId).toBe("gh-1");
      expect(ctx.receivedAt).toBeInstanceOf(Date);
      expect(ctx.signal.aborted).toBe(false);
    });

    it("retries a failing agent with exponential backoff, then succeeds", async () => {
      const attempts: Array<{ runId: string; attempt: number }> = [];
      const { server, rec } = await setup((_envelope, ctx) => {
        attempts.push({ runId: ctx.runId, attempt: ctx.attempt });
        if (ctx.attempt < 3) throw new Error(`flaky ${ctx.attempt}`);
      }, { attempts: 3 });
      const res = await server.post("alerts", '{"n":1}', AUTH);
      expect(res.status).toBe(202);
      const [succeeded] = await rec.waitFor("run.succeeded");
      const runId = res.json.runId as string;
      expect(attempts).toEqual([1, 2, 3].map((attempt) => ({ runId, attempt })));
      expect(succeeded).toMatchObject({ runId, attempt: 3, webhookId: "alerts" });
      const retrying = rec.of("run.retrying");
      expect(retrying.map(({ attempt, error }) => ({ attempt, error }))).toEqual([
        { attempt: 1, error: "flaky 1" },
        { attempt: 2, error: "flaky 2" },
      ]);
      // delayMs 20, jitter 0.5: retry n waits within [20·2^(n-1)·0.5, 20·2^(n-1)].
      expect(retrying[0]!.delayMs).toBeGreaterThanOrEqual(10);
      expect(retrying[0]!.delayMs).toBeLessThanOrEqual(20);
      expect(retrying[1]!.delayMs).toBeGreaterThanOrEqual(20);
      expect(retrying[1]!.delayMs).toBeLessThanOrEqual(40);
      expect(rec.of("run.failed")).toEqual([]);
    });

    it("dead-letters a run after its last attempt, logs it, and keeps it inspectable", async () => {
      const { hooks, server, rec } = await setup(() => {
        throw new Error("agent exploded");
      }, { attempts: 2 });
      const res = await server.post("alerts", '{"keep":"me"}', { ...AUTH, "idempotency-key": "dl-1" });
      expect(res.status).toBe(202);
      const [failed] = await rec.waitFor("run.failed");
      expect(failed).toMatchObject({ runId: res.json.runId, attempt: 2, error: "agent exploded" });
      expect(rec.of("run.retrying")).toHaveLength(1);
      expect(rec.logs.some((log) => log.level === "error" && log.fields.runId === res.json.runId && /dead-lettered/.test(log.message))).toBe(true);
      const letters = await hooks.runner.deadLetters();
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        runId: res.json.runId,
        webhookId: "alerts",
        deliveryId: "dl-1",
        attempts: 2,
        error: "agent exploded",
        envelope: { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { keep: "me" } },
      });
      expect(letters[0]!.failedAt).toBeGreaterThanOrEqual(letters[0]!.receivedAt);
    });

    it("aborts ctx.signal when an attempt times out and counts it as a failed attempt", async () => {
      const reasons: string[] = [];
      const { hooks, server, rec } = await setup(
        (_envelope, ctx) =>
          new Promise<void>((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              reasons.push((ctx.signal.reason as Error).name);
              resolve();
            });
          }),
        { attempts: 2, timeoutMs: 100 },
      );
      const res = await server.post("alerts", "{}", AUTH);
      expect(res.status).toBe(202);
      const [failed] = await rec.waitFor("run.failed");
      expect(reasons).toEqual(["RunTimeoutError", "RunTimeoutError"]);
      expect(failed).toMatchObject({ runId: res.json.runId, attempt: 2, error: "the agent did not finish within 100 ms" });
      expect(rec.of("run.succeeded")).toEqual([]);
      expect((await hooks.runner.deadLetters())[0]).toMatchObject({ runId: res.json.runId, attempts: 2 });
    });

    it("runs a repeated delivery once and answers the first runId with Idempotent-Replayed", async () => {
      const runs: string[] = [];
      const { server, rec } = await setup((envelope, ctx) => void runs.push(`${envelope.inboundWebhookId}:${ctx.runId}`));
      const first = await server.post("alerts", '{"v":1}', { ...AUTH, "idempotency-key": "evt-42" });
      const again = await server.post("alerts", '{"v":2}', { ...AUTH, "idempotency-key": "evt-42" });
      const viaHeader = await server.post("alerts", '{"v":3}', { ...AUTH, "webhook-id": "evt-42" });
      const otherHook = await server.post("other", '{"v":4}', { ...AUTH, "idempotency-key": "evt-42" });
      expect([first.status, again.status, viaHeader.status, otherHook.status]).toEqual([202, 202, 202, 202]);
      expect(first.headers.get("idempotent-replayed")).toBeNull();
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(viaHeader.headers.get("idempotent-replayed")).toBe("true");
      expect(again.json).toEqual({ status: "accepted", runId: first.json.runId, inboundWebhookId: "alerts" });
      expect(viaHeader.json.runId).toBe(first.json.runId);
      // The same delivery id on another webhook is another delivery.
      expect(otherHook.headers.get("idempotent-replayed")).toBeNull();
      expect(otherHook.json.runId).not.toBe(first.json.runId);
      await rec.waitFor("run.succeeded", 2);
      await sleep(200);
      expect(runs.sort()).toEqual([`alerts:${first.json.runId}`, `other:${otherHook.json.runId}`].sort());
      expect(rec.of("request.accepted").map((event) => event.replayed)).toEqual([false, true, true, false]);
    });

    it("fans out to every named agent, each its own run and runId, deduplicated per agent", async () => {
      const rec = recorder();
      const ran: string[] = [];
      const hooks = createInboundWebhooks({
        webhooks: [
          {
            id: "fanout",
            auth: bearer(TOKEN),
            agents: {
              triage: (_envelope, ctx) => void ran.push(`triage:${ctx.runId}`),
              notify: (envelope, ctx) => void ran.push(`notify:${ctx.runId}:${JSON.stringify(envelope.payload)}`),
            },
          },
        ],
        runner: makeRunner({}),
        logger: rec.logger,
        onEvent: rec.onEvent,
      });
      const server = await serveHooks(hooks);
      open.push({ hooks, server, rec });
      const first = await server.post("fanout", '{"v":1}', { ...AUTH, "idempotency-key": "fan-1" });
      expect(first.status).toBe(202);
      const runs = first.json.runs as Array<{ agent: string; runId: string }>;
      expect(runs.map((run) => run.agent)).toEqual(["triage", "notify"]);
      expect(new Set(runs.map((run) => run.runId)).size).toBe(2);
      expect(first.json).toEqual({ status: "accepted", runId: runs[0]!.runId, inboundWebhookId: "fanout", runs });
      await rec.waitFor("run.succeeded", 2);
      expect(ran.sort()).toEqual([`notify:${runs[1]!.runId}:{"v":1}`, `triage:${runs[0]!.runId}`]);
      const again = await server.post("fanout", '{"v":2}', { ...AUTH, "idempotency-key": "fan-1" });
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.json.runs).toEqual(runs);
      await sleep(200);
      expect(ran).toHaveLength(2);
    });

    it("takes the delivery id from the webhook's deliveryId function", async () => {
      const runs: string[] = [];
      const { server, rec } = await setup(
        (_envelope, ctx) => void runs.push(ctx.deliveryId!),
        {},
        { deliveryId: ({ payload }) => (payload as { id?: string }).id },
      );
      const first = await server.post("alerts", '{"id":"evt_1","n":1}', AUTH);
      const again = await server.post("alerts", '{"id":"evt_1","n":2}', AUTH);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.json.runId).toBe(first.json.runId);
      await rec.waitFor("run.succeeded");
      expect(runs).toEqual(["evt_1"]);
    });

    it("keeps answering while every slot hangs: 202 until the queue bound, then 429 queue_full", async () => {
      const { server, rec } = await setup(
        (_envelope, ctx) => sleep(30_000, undefined, { signal: ctx.signal }).catch(() => {}),
        { concurrency: 2, maxQueued: 3, timeoutMs: 60_000 },
      );
      const running = await Promise.all([server.post("alerts", "{}", AUTH), server.post("alerts", "{}", AUTH)]);
      expect(running.map((res) => res.status)).toEqual([202, 202]);
      await rec.waitFor("run.started", 2);
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<HooksServer["post"]>> | undefined;
      for (let i = 0; i < 5; i++) {
        const res = await server.post("alerts", `{"i":${i}}`, AUTH);
        statuses.push(res.status);
        if (res.status === 429) refused = res;
      }
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
      expect(refused!.json).toMatchObject({ status: 429, code: "queue_full" });
      expect(refused!.headers.get("content-type")).toBe("application/problem+json");
      expect(Number(refused!.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(rec.of("run.started")).toHaveLength(2);
    });

    it("close() lets started runs finish and refuses new requests with 503 shutting_down", async () => {
      const finished: string[] = [];
      const { hooks, server, rec } = await setup(
        async (_envelope, ctx) => {
          await sleep(300);
          finished.push(ctx.runId);
        },
        { concurrency: 2 },
      );
      const accepted = await Promise.all([server.post("alerts", "{}", AUTH), server.post("alerts", "{}", AUTH)]);
      await rec.waitFor("run.started", 2);
      const closed = hooks.close();
      const during = await server.post("alerts", "{}", AUTH);
      expect(during.status).toBe(503);
      expect(during.json.code).toBe("shutting_down");
      await closed;
      expect(finished.sort()).toEqual(accepted.map((res) => res.json.runId as string).sort());
      expect(rec.of("run.succeeded")).toHaveLength(2);
    });

    it("close({ timeoutMs }) aborts the agents still running after the timeout", async () => {
      let abortedWith: unknown;
      const { hooks, server, rec } = await setup(
        (_envelope, ctx) =>
          sleep(30_000, undefined, { signal: ctx.signal }).catch(() => {
            abortedWith = ctx.signal.reason;
          }),
        { timeoutMs: 60_000 },
      );
      expect((await server.post("alerts", "{}", AUTH)).status).toBe(202);
      await rec.waitFor("run.started");
      await hooks.close({ timeoutMs: 100 });
      expect(abortedWith).toBeInstanceOf(Error);
      expect((abortedWith as Error).message).toBe("hookrun is closing");
    });
  });
}
