import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  bearer,
  createInboundWebhooks,
  HookrunConfigError,
  HookrunError,
  memoryRunStore,
  type Agent,
  type InboundWebhooks,
  type InboundWebhooksOptions,
  type RunFilter,
  type RunRecord,
  type RunStatus,
  type RunStore,
  type Runner,
  type RunsOptions,
} from "@hookrun/core";
import { recorder, type Recorder } from "./events";
import { serveHooks, type HooksServer } from "./hooks-server";

const TOKEN = "runs-contract-token";
const AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
// Every credential and signature header a sender may use; none of their values may be stored.
const SECRET_HEADERS: Record<string, string> = {
  cookie: "session=SECRET-cookie",
  "proxy-authorization": "Basic SECRET-proxy",
  "x-api-key": "SECRET-api-key",
  "x-hub-signature": "sha1=SECRET-hub1",
  "x-hub-signature-256": "sha256=SECRET-hub256",
  "stripe-signature": "t=1,v1=SECRET-stripe",
  "svix-signature": "v1,SECRET-svix",
  "webhook-signature": "v1,SECRET-webhook-sig",
  "x-slack-signature": "v0=SECRET-slack",
  "x-auth-token": "SECRET-auth-token",
};

/** What a runs contract needs from a runner: a fresh one, and (for Redis) the raw stored text. */
export interface RunsContractTarget {
  makeRunner(options: { attempts?: number; concurrency?: number; backoff?: { delayMs: number; jitter: number } }): Runner;
  /** Everything the run store holds, as text (e.g. every Redis key and value), for "never stored" checks. */
  dumpStore?(): Promise<string>;
  /** A fresh store of the kind the runner uses by default. */
  makeStore(): RunStore;
  /** Whether the runner's store bounds bytes (the in-memory one does). */
  boundsBytes: boolean;
  /** Whether the runner keeps finished jobs (and so can replay a run whose payload was not stored). */
  holdsFinishedJobs: boolean;
}

interface Setup {
  hooks: InboundWebhooks;
  server: HooksServer;
  rec: Recorder;
  writes: unknown[];
}

/**
 * The run-records contract (DESIGN.md "Runs and the dashboard"), through the public API and real
 * HTTP requests, against any runner: records and their statuses over time, attempts with errors,
 * stacks and logs, results, redaction, retention, replay and lineage, replayMany, refused requests.
 */
export function runsContract(name: string, target: RunsContractTarget): void {
  describe(`runs contract: ${name}`, () => {
    const open: Setup[] = [];
    afterEach(async () => {
      for (const { hooks, server } of open.splice(0)) {
        await server.close();
        await hooks.close({ timeoutMs: 500 });
      }
    });

    async function setup(
      agent: Agent,
      options: { runs?: RunsOptions; spy?: boolean; attempts?: number; concurrency?: number; extra?: Partial<InboundWebhooksOptions> } = {},
    ): Promise<Setup> {
      const rec = recorder();
      const writes: unknown[] = [];
      // The spy sees every write the store gets: what "stored" means, whatever the store.
      const runs = options.spy ? { ...options.runs, store: spyStore(target.makeStore(), writes) } : options.runs;
      const runner = target.makeRunner({ attempts: options.attempts ?? 1, concurrency: options.concurrency ?? 4, backoff: { delayMs: 20, jitter: 0 } });
      const hooks = createInboundWebhooks({
        webhooks: [
          { id: "alerts", auth: bearer(TOKEN), agent },
          { id: "other", auth: bearer(TOKEN), agent },
          { id: "fanout", auth: bearer(TOKEN), agents: { triage: agent, notify: agent } },
        ],
        runner,
        logger: rec.logger,
        onEvent: rec.onEvent,
        ...(runs ? { runs } : {}),
        ...options.extra,
      });
      const server = await serveHooks(hooks);
      const result = { hooks, server, rec, writes };
      open.push(result);
      return result;
    }

    /** Polls `hooks.runs.get` until the run has `status` (records may be written after the event). */
    async function waitForStatus(hooks: InboundWebhooks, runId: string, status: RunStatus, timeoutMs = 15_000): Promise<RunRecord> {
      const deadline = Date.now() + timeoutMs;
      let last: RunRecord | undefined;
      while (Date.now() < deadline) {
        last = await hooks.runs.get(runId);
        if (last?.status === status) return last;
        await sleep(10);
      }
      throw new Error(`run ${runId} did not reach "${status}" within ${timeoutMs} ms (last: ${last?.status ?? "no record"})`);
    }

    function gate(): { wait: Promise<void>; open(): void } {
      let open!: () => void;
      const wait = new Promise<void>((resolve) => (open = resolve));
      return { wait, open };
    }

    it("records a run from queued to running to succeeded, with its envelope, request metadata and result", async () => {
      const first = gate();
      const { hooks, server } = await setup(
        async (envelope) => {
          if ((envelope.payload as { n: number }).n === 1) await first.wait;
          return { handled: (envelope.payload as { n: number }).n, tags: ["a", "b"] };
        },
        { concurrency: 1 },
      );
      const before = Date.now();
      const a = await server.post("alerts", '{"n":1,"customer":{"id":"cus_1"}}', { ...AUTH, "idempotency-key": "del-1", "x-github-event": "push" });
      const b = await server.post("alerts", '{"n":2}', AUTH);
      expect([a.status, b.status]).toEqual([202, 202]);
      const runA = a.json.runId as string;
      const runB = b.json.runId as string;
      const running = await waitForStatus(hooks, runA, "running");
      expect(running.attempts).toHaveLength(1);
      expect(running.attempts[0]!.finishedAt).toBeUndefined();
      // One slot, held by the first run: the second waits.
      expect((await hooks.runs.get(runB))!.status).toBe("queued");
      first.open();
      const done = await waitForStatus(hooks, runA, "succeeded");
      expect(done).toMatchObject({
        runId: runA,
        webhookId: "alerts",
        deliveryId: "del-1",
        status: "succeeded",
        envelope: { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { n: 1, customer: { id: "cus_1" } } },
        result: { handled: 1, tags: ["a", "b"] },
        replays: [],
      });
      expect(done.agent).toBeUndefined();
      expect(done.replayOf).toBeUndefined();
      expect(done.receivedAt).toBeGreaterThanOrEqual(before - 5);
      expect(done.startedAt).toBeGreaterThanOrEqual(done.receivedAt);
      expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt!);
      expect(done.durationMs).toBe(done.finishedAt! - done.receivedAt);
      expect(done.attempts).toEqual([{ attempt: 1, startedAt: done.startedAt, finishedAt: expect.any(Number), durationMs: expect.any(Number), logs: [] }]);
      expect(done.request).toEqual({
        headers: expect.objectContaining({ "content-type": "application/json", "idempotency-key": "del-1", "x-github-event": "push", "content-length": "33" }),
        contentType: "application/json",
        bytes: 33,
      });
      expect(done.request!.headers.authorization).toBeUndefined();
      const other = await waitForStatus(hooks, runB, "succeeded");
      expect(other.deliveryId).toBeUndefined();
      expect(other.result).toEqual({ handled: 2, tags: ["a", "b"] });
    });

    it("keeps every attempt: its error message and stack, the retrying status, and the lines logged during it", async () => {
      const release = gate();
      const { hooks, server, rec } = await setup(
        async (_envelope, ctx) => {
          ctx.logger.info({ attempt: ctx.attempt, detail: { step: "fetch" } }, `starting attempt ${ctx.attempt}`);
          if (ctx.attempt === 2) await release.wait;
          ctx.logger.warn({ err: new Error(`inner ${ctx.attempt}`) }, "about to fail");
          throw new Error(`boom ${ctx.attempt}`);
        },
        { attempts: 3 },
      );
      const res = await server.post("alerts", '{"x":1}', AUTH);
      const runId = res.json.runId as string;
      await rec.waitFor("run.retrying");
      // Attempt 2 is held: the record says running again, with attempt 1 failed.
      const during = await waitForStatus(hooks, runId, "running");
      expect(during.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2]);
      expect(during.attempts[0]!.error!.message).toBe("boom 1");
      release.open();
      const [failed] = await rec.waitFor("run.failed");
      expect(failed!.attempt).toBe(3);
      const record = await waitForStatus(hooks, runId, "failed");
      expect(record.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
      for (const attempt of record.attempts) {
        expect(attempt.error).toMatchObject({ name: "Error", message: `boom ${attempt.attempt}` });
        expect(attempt.error!.stack).toContain(`Error: boom ${attempt.attempt}`);
        expect(attempt.finishedAt).toBeGreaterThanOrEqual(attempt.startedAt);
        expect(attempt.logs.map(({ level, message }) => ({ level, message }))).toEqual([
          { level: "info", message: `starting attempt ${attempt.attempt}` },
          { level: "warn", message: "about to fail" },
        ]);
        expect(attempt.logs[0]!.fields).toEqual({ attempt: attempt.attempt, detail: { step: "fetch" } });
        expect(attempt.logs[1]!.fields.err).toMatchObject({ name: "Error", message: `inner ${attempt.attempt}` });
        expect(attempt.logs[0]!.time).toBeGreaterThanOrEqual(attempt.startedAt);
      }
      expect(record.finishedAt).toBe(record.attempts[2]!.finishedAt);
      expect(record.result).toBeUndefined();
      // The runner's dead letters still say the same.
      expect((await hooks.runner.deadLetters())[0]).toMatchObject({ runId, attempts: 3, error: "boom 3" });
    });

    it("caps the lines kept per attempt and counts the rest", async () => {
      const { hooks, server } = await setup(
        (_envelope, ctx) => {
          for (let i = 0; i < 7; i++) ctx.logger.debug({ i }, `line ${i}`);
        },
        { runs: { maxLogLines: 3 } },
      );
      const runId = (await server.post("alerts", "{}", AUTH)).json.runId as string;
      const record = await waitForStatus(hooks, runId, "succeeded");
      expect(record.attempts[0]!.logs.map((line) => line.message)).toEqual(["line 0", "line 1", "line 2"]);
      expect(record.attempts[0]!.logsDropped).toBe(4);
    });

    it("keeps the result as JSON and leaves out one too large or not serializable", async () => {
      const results: Record<string, unknown> = {
        small: { ok: true, at: new Date(0), skip: undefined },
        big: { text: "x".repeat(5_000) },
        cyclic: (() => {
          const value: Record<string, unknown> = { a: 1 };
          value.self = value;
          return value;
        })(),
        none: undefined,
      };
      const { hooks, server } = await setup((envelope) => results[(envelope.payload as { kind: string }).kind], { runs: { maxResultBytes: 4_096 } });
      const ids: Record<string, string> = {};
      for (const kind of Object.keys(results)) ids[kind] = (await server.post("alerts", JSON.stringify({ kind }), AUTH)).json.runId as string;
      const small = await waitForStatus(hooks, ids.small!, "succeeded");
      expect(small.result).toEqual({ ok: true, at: "1970-01-01T00:00:00.000Z" });
      expect(small.resultOmitted).toBeUndefined();
      const big = await waitForStatus(hooks, ids.big!, "succeeded");
      expect(big.result).toBeUndefined();
      expect(big.resultOmitted).toBe("too_large");
      const cyclic = await waitForStatus(hooks, ids.cyclic!, "succeeded");
      expect(cyclic.resultOmitted).toBe("not_json");
      const none = await waitForStatus(hooks, ids.none!, "succeeded");
      expect("result" in none).toBe(false);
      expect(none.resultOmitted).toBeUndefined();
    });

    it("redacts payload paths before storing, and never stores credential or signature headers", async () => {
      const { hooks, server, writes } = await setup(() => undefined, {
        runs: { redact: ["customer.email", "cards.*.number", "__proto__"] },
        spy: true,
      });
      const body = '{"customer":{"email":"SECRET-mail@example.com","name":"Ada"},"cards":[{"number":"SECRET-4242","brand":"visa"},{"number":"SECRET-1881"}],"__proto__":{"x":"SECRET-proto"}}';
      const res = await server.post("alerts", body, { ...AUTH, ...SECRET_HEADERS, "x-request-id": "req-7" });
      const record = await waitForStatus(hooks, res.json.runId as string, "succeeded");
      expect(JSON.stringify(record.envelope!.payload)).toBe(
        '{"customer":{"email":"[redacted]","name":"Ada"},"cards":[{"number":"[redacted]","brand":"visa"},{"number":"[redacted]"}],"__proto__":"[redacted]"}',
      );
      expect(Object.getPrototypeOf(record.envelope!.payload)).toBe(Object.prototype);
      expect(record.redacted).toBe(true);
      expect(record.request!.headers["x-request-id"]).toBe("req-7");
      for (const name of ["authorization", ...Object.keys(SECRET_HEADERS)]) expect(record.request!.headers[name]).toBeUndefined();
      const everything = JSON.stringify([record, await hooks.runs.list(), await hooks.runs.refused()]) + written(writes) + ((await target.dumpStore?.()) ?? "");
      expect(everything).toContain("req-7");
      expect(everything).not.toContain("SECRET");
      expect(everything).not.toContain(TOKEN);
    });

    it("redacts with a function, and keeps metadata only with storePayload: false", async () => {
      const seen: unknown[] = [];
      const redacted = await setup((envelope) => void seen.push(envelope.payload), {
        runs: {
          redact: [
            (payload) => ({ kept: (payload as { keep: string }).keep }),
            (payload, { webhookId }) => {
              (payload as Record<string, unknown>).webhook = webhookId;
            },
          ],
        },
      });
      const res = await redacted.server.post("alerts", '{"keep":"this","drop":"SECRET-drop"}', AUTH);
      const record = await waitForStatus(redacted.hooks, res.json.runId as string, "succeeded");
      expect(record.envelope!.payload).toEqual({ kept: "this", webhook: "alerts" });
      // The agent got the payload as sent: redaction is for the record only.
      expect(seen).toEqual([{ keep: "this", drop: "SECRET-drop" }]);

      const bare = await setup(() => "done", { runs: { storePayload: false }, spy: true });
      const bareBody = '{"card":"SECRET-card"}';
      const bareRes = await bare.server.post("alerts", bareBody, { ...AUTH, "idempotency-key": "meta-1" });
      const bareRecord = await waitForStatus(bare.hooks, bareRes.json.runId as string, "succeeded");
      expect(bareRecord.envelope).toBeUndefined();
      expect(bareRecord.envelopeOmitted).toBe("not_stored");
      expect(bareRecord).toMatchObject({ deliveryId: "meta-1", result: "done", request: { bytes: Buffer.byteLength(bareBody) } });
      const everything = JSON.stringify([record, bareRecord, await bare.hooks.runs.list()]) + written(bare.writes) + ((await target.dumpStore?.()) ?? "");
      expect(everything).not.toContain("SECRET");
    });

    it("does not store a payload over maxPayloadBytes, and records each agent of a fan-out webhook", async () => {
      const { hooks, server } = await setup(() => undefined, { runs: { maxPayloadBytes: 100 } });
      const bigBody = JSON.stringify({ pad: "p".repeat(200) });
      const big = await server.post("alerts", bigBody, AUTH);
      const record = await waitForStatus(hooks, big.json.runId as string, "succeeded");
      expect(record.envelope).toBeUndefined();
      expect(record.envelopeOmitted).toBe("too_large");
      expect(record.request!.bytes).toBe(Buffer.byteLength(bigBody));
      const fan = await server.post("fanout", '{"f":1}', AUTH);
      const runs = fan.json.runs as Array<{ agent: string; runId: string }>;
      for (const { agent, runId } of runs) {
        const fanRecord = await waitForStatus(hooks, runId, "succeeded");
        expect(fanRecord).toMatchObject({ agent, webhookId: "fanout", envelope: { payload: { f: 1 } } });
      }
    });

    it("lists newest first with filters and cursor pages (nextCursor absent on the last page), and counts the same filters", async () => {
      const { hooks, server } = await setup((envelope) => {
        if ((envelope.payload as { fail?: boolean }).fail) throw new Error("asked to fail");
      });
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const hook = i % 3 === 2 ? "other" : "alerts";
        const res = await server.post(hook, JSON.stringify({ i, fail: i % 2 === 1 }), { ...AUTH, "idempotency-key": `list-${i}` });
        ids.push(res.json.runId as string);
        await waitForStatus(hooks, ids[i]!, i % 2 === 1 ? "failed" : "succeeded");
        // Distinct receivedAt values, so the time filters below have clean edges.
        await sleep(3);
      }
      const newestFirst = [...ids].reverse();
      const all = await hooks.runs.list();
      expect(all.runs.map((run) => run.runId)).toEqual(newestFirst);
      expect(all.nextCursor).toBeUndefined();

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await hooks.runs.list({ limit: 3, ...(cursor ? { cursor } : {}) });
        pages.push(page.runs.map((run) => run.runId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);

      const failed = await hooks.runs.list({ status: "failed" });
      expect(failed.runs.map((run) => run.runId)).toEqual([ids[5], ids[3], ids[1]]);
      expect(failed.runs.every((run) => run.status === "failed")).toBe(true);
      const other = await hooks.runs.list({ webhookId: "other" });
      expect(other.runs.map((run) => run.runId)).toEqual([ids[5], ids[2]]);
      expect((await hooks.runs.list({ webhookId: "other", status: "failed" })).runs.map((run) => run.runId)).toEqual([ids[5]]);
      const failedPage = await hooks.runs.list({ status: "failed", limit: 2 });
      expect(failedPage.runs.map((run) => run.runId)).toEqual([ids[5], ids[3]]);
      const failedRest = await hooks.runs.list({ status: "failed", limit: 2, cursor: failedPage.nextCursor! });
      expect(failedRest.runs.map((run) => run.runId)).toEqual([ids[1]]);
      expect(failedRest.nextCursor).toBeUndefined();
      expect((await hooks.runs.list({ deliveryId: "list-4" })).runs.map((run) => run.runId)).toEqual([ids[4]]);
      expect((await hooks.runs.list({ runId: ids[2]! })).runs.map((run) => run.runId)).toEqual([ids[2]]);
      expect((await hooks.runs.list({ runId: ids[2]!, status: "failed" })).runs).toEqual([]);

      const records = await Promise.all(ids.map(async (id) => (await hooks.runs.get(id))!));
      const since = records[2]!.receivedAt;
      const until = new Date(records[4]!.receivedAt);
      expect((await hooks.runs.list({ since, until })).runs.map((run) => run.runId)).toEqual([ids[4], ids[3], ids[2]]);
      expect((await hooks.runs.list({ since, status: "succeeded" })).runs.map((run) => run.runId)).toEqual([ids[6], ids[4], ids[2]]);
      expect(await hooks.runs.get("no-such-run")).toBeUndefined();

      for (const bad of [{ limit: 0 }, { limit: 501 }, { status: "done" as RunStatus }, { cursor: "not-a-cursor" }, { since: Number.NaN }]) {
        await expect(hooks.runs.list(bad)).rejects.toMatchObject({ code: "invalid_filter", status: 400 });
      }

      // count answers, for the same filters, how many runs list would page through.
      expect(await hooks.runs.count()).toBe(7);
      expect(await hooks.runs.count({ status: "failed" })).toBe(3);
      expect(await hooks.runs.count({ webhookId: "other" })).toBe(2);
      expect(await hooks.runs.count({ webhookId: "other", status: "failed" })).toBe(1);
      expect(await hooks.runs.count({ webhookId: "nobody" })).toBe(0);
      expect(await hooks.runs.count({ deliveryId: "list-4" })).toBe(1);
      expect(await hooks.runs.count({ runId: ids[2]! })).toBe(1);
      expect(await hooks.runs.count({ runId: ids[2]!, status: "failed" })).toBe(0);
      expect(await hooks.runs.count({ since, until })).toBe(3);
      expect(await hooks.runs.count({ since, status: "succeeded" })).toBe(3);
      for (const bad of [{ status: "done" as RunStatus }, { webhookId: "" }, { deliveryId: "x".repeat(257) }, { since: Number.NaN }, { until: "yesterday" as unknown as number }, null as unknown as RunFilter]) {
        await expect(hooks.runs.count(bad)).rejects.toMatchObject({ code: "invalid_filter", status: 400 });
      }
    });

    it("replays a run as a new, linked run that delivery-id deduplication does not swallow", async () => {
      const calls: Array<{ runId: string; replayOf: string | undefined; deliveryId: string | undefined; payload: unknown }> = [];
      const { hooks, server } = await setup((envelope, ctx) => {
        calls.push({ runId: ctx.runId, replayOf: ctx.replayOf, deliveryId: ctx.deliveryId, payload: envelope.payload });
        if (calls.length === 1) throw new Error("first time fails");
        return { call: calls.length };
      });
      const res = await server.post("alerts", '{"order":"o-1"}', { ...AUTH, "idempotency-key": "evt-replay" });
      const original = res.json.runId as string;
      await waitForStatus(hooks, original, "failed");
      // The sender's retry is deduplicated...
      const again = await server.post("alerts", '{"order":"o-1"}', { ...AUTH, "idempotency-key": "evt-replay" });
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      // ...a replay is not.
      const { runId: replayId } = await hooks.runs.replay(original, { reason: "fixed the bug" });
      expect(replayId).not.toBe(original);
      const replay = await waitForStatus(hooks, replayId, "succeeded");
      expect(replay).toMatchObject({
        replayOf: original,
        replayReason: "fixed the bug",
        deliveryId: "evt-replay",
        webhookId: "alerts",
        envelope: { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { order: "o-1" } },
        result: { call: 2 },
        replays: [],
      });
      expect(replay.receivedAt).toBeGreaterThanOrEqual((await hooks.runs.get(original))!.receivedAt);
      expect(calls).toEqual([
        { runId: original, replayOf: undefined, deliveryId: "evt-replay", payload: { order: "o-1" } },
        { runId: replayId, replayOf: original, deliveryId: "evt-replay", payload: { order: "o-1" } },
      ]);
      const second = await hooks.runs.replay(original);
      await waitForStatus(hooks, second.runId, "succeeded");
      expect((await hooks.runs.get(original))!.replays).toEqual([replayId, second.runId]);
      // A replay of a replay points at its own original.
      const third = await hooks.runs.replay(replayId);
      expect((await waitForStatus(hooks, third.runId, "succeeded")).replayOf).toBe(replayId);
      expect((await hooks.runs.get(replayId))!.replays).toEqual([third.runId]);
      expect((await hooks.runs.list({ deliveryId: "evt-replay" })).runs.map((run) => run.runId)).toEqual([third.runId, second.runId, replayId, original]);

      await expect(hooks.runs.replay("no-such-run")).rejects.toMatchObject({ code: "run_not_found", status: 404 });
    });

    it("replays a fan-out run to the same agent, and refuses a run whose payload was not stored", async () => {
      const ran: string[] = [];
      const fan = await setup((_envelope, ctx) => void ran.push(ctx.runId));
      const res = await fan.server.post("fanout", "{}", AUTH);
      const notify = (res.json.runs as Array<{ agent: string; runId: string }>).find((run) => run.agent === "notify")!;
      await waitForStatus(fan.hooks, notify.runId, "succeeded");
      const replay = await fan.hooks.runs.replay(notify.runId);
      expect((await waitForStatus(fan.hooks, replay.runId, "succeeded")).agent).toBe("notify");

      const bare = await setup(() => undefined, { runs: { storePayload: false } });
      const bareRun = (await bare.server.post("alerts", "{}", AUTH)).json.runId as string;
      await waitForStatus(bare.hooks, bareRun, "succeeded");
      if (target.holdsFinishedJobs) {
        // The runner still holds the job (BullMQ keeps finished jobs), so the payload comes from it.
        const again = await bare.hooks.runs.replay(bareRun);
        expect((await waitForStatus(bare.hooks, again.runId, "succeeded")).replayOf).toBe(bareRun);
      } else {
        await expect(bare.hooks.runs.replay(bareRun)).rejects.toMatchObject({ code: "replay_unavailable", status: 409 });
      }
    });

    it("replayMany refuses an empty filter, counts with dryRun, and replays what matches", async () => {
      const { hooks, server } = await setup((envelope, ctx) => {
        if ((envelope.payload as { fail: boolean }).fail && ctx.replayOf === undefined) throw new Error("fails once");
      });
      const failedIds: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await server.post(i === 4 ? "other" : "alerts", JSON.stringify({ fail: i !== 1 }), AUTH);
        const runId = res.json.runId as string;
        await waitForStatus(hooks, runId, i === 1 ? "succeeded" : "failed");
        if (i !== 1) failedIds.push(runId);
      }
      await expect(hooks.runs.replayMany({})).rejects.toMatchObject({ code: "invalid_filter", status: 400 });
      await expect(hooks.runs.replayMany({}, { dryRun: true })).rejects.toBeInstanceOf(HookrunError);
      const dry = await hooks.runs.replayMany({ status: "failed" }, { dryRun: true });
      expect(dry).toEqual({ dryRun: true, matched: 4, replays: [], skipped: [] });
      expect((await hooks.runs.list()).runs).toHaveLength(5);
      expect(await hooks.runs.replayMany({ status: "failed", webhookId: "other" }, { dryRun: true })).toMatchObject({ matched: 1 });

      const done = await hooks.runs.replayMany({ status: "failed", webhookId: "alerts" }, { reason: "bulk" });
      expect(done.dryRun).toBe(false);
      expect(done.matched).toBe(3);
      expect(done.skipped).toEqual([]);
      expect(done.replays.map((replay) => replay.replayOf).sort()).toEqual(failedIds.slice(0, 3).sort());
      for (const replay of done.replays) {
        expect(await waitForStatus(hooks, replay.runId, "succeeded")).toMatchObject({ replayOf: replay.replayOf, replayReason: "bulk" });
        expect((await hooks.runs.get(replay.replayOf))!.replays).toEqual([replay.runId]);
      }
      expect((await hooks.runs.list({ status: "failed" })).runs.map((run) => run.runId)).toEqual([...failedIds].reverse());
    });

    it("logs refused requests with metadata only: unknown id, bad token, oversize body, invalid JSON", async () => {
      const { hooks, server, writes } = await setup(() => undefined, { extra: { maxBodyBytes: 64 }, spy: true });
      const started = Date.now();
      const unknown = await server.post("nope-SECRET-path", '{"a":1}', AUTH);
      const badToken = await server.post("alerts", '{"card":"SECRET-body"}', { authorization: "Bearer SECRET-wrong-token" });
      const tooBigBody = JSON.stringify({ pad: "SECRET".repeat(20) });
      const tooBig = await server.post("alerts", tooBigBody, AUTH);
      const invalid = await server.post("alerts", "{SECRET-not-json", AUTH);
      expect([unknown.status, badToken.status, tooBig.status, invalid.status]).toEqual([401, 401, 413, 400]);
      const refused = await hooks.runs.refused();
      expect(refused.map(({ webhookId, status, code, reason }) => ({ webhookId, status, code, reason }))).toEqual([
        { webhookId: "alerts", status: 400, code: "invalid_json", reason: "invalid_json" },
        { webhookId: "alerts", status: 413, code: "payload_too_large", reason: "payload_too_large" },
        { webhookId: "alerts", status: 401, code: "unauthorized", reason: "bad_credentials" },
        { webhookId: "nope-SECRET-path", status: 401, code: "unauthorized", reason: "unknown_webhook" },
      ]);
      expect(refused[1]!.bytes).toBe(Buffer.byteLength(tooBigBody));
      for (const entry of refused) expect(entry.time).toBeGreaterThanOrEqual(started - 5);
      expect(Object.keys(refused[2]!).sort()).toEqual(["bytes", "code", "reason", "status", "time", "webhookId"]);
      expect(await hooks.runs.refused({ limit: 2 })).toEqual(refused.slice(0, 2));
      expect(await hooks.runs.refused({ since: Date.now() + 60_000 })).toEqual([]);
      // Nothing of a body or a credential, anywhere: only the (sender-chosen) id shows up.
      const everything = JSON.stringify([refused, await hooks.runs.list()]) + written(writes) + ((await target.dumpStore?.()) ?? "");
      expect(everything.replaceAll("nope-SECRET-path", "")).not.toContain("SECRET");
      expect((await hooks.runs.list()).runs).toEqual([]);
      // The id as sent is capped.
      await server.post("x".repeat(300), "{}", AUTH);
      expect((await hooks.runs.refused({ limit: 1 }))[0]!.webhookId).toHaveLength(128);
    });

    it("keeps at most maxRuns runs and drops runs older than maxAgeMs", async () => {
      const counted = await setup(() => undefined, { runs: { maxRuns: 3 } });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await counted.server.post("alerts", JSON.stringify({ i }), AUTH)).json.runId as string);
        await waitForStatus(counted.hooks, ids[i]!, "succeeded");
      }
      expect((await counted.hooks.runs.list()).runs.map((run) => run.runId)).toEqual([ids[4], ids[3], ids[2]]);
      expect(await counted.hooks.runs.get(ids[0]!)).toBeUndefined();
      expect(await counted.hooks.runs.replayMany({ webhookId: "alerts" }, { dryRun: true })).toMatchObject({ matched: 3 });

      const aged = await setup(() => undefined, { runs: { maxAgeMs: 1_000 } });
      const old = (await aged.server.post("alerts", "{}", AUTH)).json.runId as string;
      await waitForStatus(aged.hooks, old, "succeeded");
      await sleep(1_300);
      const fresh = (await aged.server.post("alerts", "{}", AUTH)).json.runId as string;
      await waitForStatus(aged.hooks, fresh, "succeeded");
      expect((await aged.hooks.runs.list()).runs.map((run) => run.runId)).toEqual([fresh]);
      expect(await aged.hooks.runs.get(old)).toBeUndefined();
    });

    if (target.boundsBytes) it("bounds the records' estimated bytes, dropping the oldest runs first", async () => {
      const store = memoryRunStore({ maxBytes: 12_000 });
      const { hooks, server } = await setup(() => undefined, { runs: { store } });
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push((await server.post("alerts", JSON.stringify({ i, pad: "p".repeat(3_000) }), AUTH)).json.runId as string);
        await waitForStatus(hooks, ids[i]!, "succeeded");
      }
      expect(store.bytes).toBeLessThanOrEqual(12_000);
      const kept = (await hooks.runs.list()).runs.map((run) => run.runId);
      expect(kept.length).toBeGreaterThanOrEqual(2);
      expect(kept).toEqual([...ids].reverse().slice(0, kept.length));
      expect(await hooks.runs.get(ids[0]!)).toBeUndefined();
    });

    it("records nothing with runs: false, and names the field of a bad runs option", async () => {
      const { hooks, server } = await setup(() => undefined, { extra: { runs: false } });
      const res = await server.post("alerts", "{}", AUTH);
      expect(res.status).toBe(202);
      await server.post("nope", "{}", AUTH);
      await sleep(100);
      expect(await hooks.runs.list()).toEqual({ runs: [] });
      expect(await hooks.runs.get(res.json.runId as string)).toBeUndefined();
      expect(await hooks.runs.refused()).toEqual([]);

      const webhooks = [{ id: "a", auth: bearer("t"), agent: () => undefined }];
      const runner = target.makeRunner({});
      const cases: Array<[unknown, string]> = [
        [{ maxRuns: 0 }, "options.runs.maxRuns"],
        [{ maxAgeMs: -1 }, "options.runs.maxAgeMs"],
        [{ redact: ["a..b"] }, "options.runs.redact.0"],
        [{ redact: "customer.email" }, "options.runs.redact"],
        [{ storePayload: "no" }, "options.runs.storePayload"],
        [{ store: { name: "half" } }, "options.runs.store"],
        [{ store: memoryRunStore(), maxRuns: 10 }, "options.runs.maxRuns"],
        [{ maxRun: 10 }, "options.runs"],
        [true, "options.runs"],
      ];
      for (const [runs, field] of cases) {
        let thrown: unknown;
        try {
          createInboundWebhooks({ webhooks, runner, runs: runs as RunsOptions });
        } catch (error) {
          thrown = error;
        }
        expect(thrown, JSON.stringify(runs)).toBeInstanceOf(HookrunConfigError);
        expect((thrown as HookrunConfigError).field, JSON.stringify(runs)).toBe(field);
      }
      expect(() => memoryRunStore({ maxRuns: 0 })).toThrow(HookrunConfigError);
      await runner.close();
    });
  });
}

/** Every write a spied store got, as text (bytes decoded). */
function written(writes: unknown[]): string {
  return JSON.stringify(writes, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString("utf8") : value));
}

/** A store that forwards to `inner` and keeps every argument written, for "never stored" checks. */
export function spyStore(inner: RunStore, writes: unknown[]): RunStore {
  const spy = Object.create(inner) as RunStore;
  for (const method of ["created", "attemptStarted", "attemptFinished", "replayed", "refused"] as const) {
    (spy as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      writes.push(args);
      return (inner[method] as (...a: unknown[]) => unknown).apply(inner, args);
    };
  }
  return spy;
}
