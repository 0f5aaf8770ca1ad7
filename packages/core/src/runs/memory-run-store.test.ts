import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, memoryRunStore, type RunRecord, type RunStatus, type RunStore, type StoredAttemptEnd, type StoredRunStart } from "@hookrun/core";

// The in-memory store keeps its records flat (typed arrays, byte segments); these tests hold it to
// a plain model of what a store must answer, over random histories.

interface ModelRun {
  runId: string;
  webhookId: string;
  deliveryId: string | undefined;
  receivedAt: number;
  status: RunStatus;
  payload?: unknown;
  attempts: Map<number, { startedAt: number; finishedAt?: number; error?: string; logs: number }>;
  result?: unknown;
  replays: string[];
}

const RANK: Record<RunStatus, number> = { queued: 0, running: 1, retrying: 1, succeeded: 2, failed: 2 };
const WEBHOOKS = ["a", "b", "c"];
// Not only ASCII: ids are kept as UTF-8 bytes and hashed from them when first looked up.
const DELIVERIES = [undefined, "d1", "dé2", "d\u{1F600}3"];
const STATUSES: RunStatus[] = ["queued", "running", "retrying", "succeeded", "failed"];

type Op =
  | { kind: "create"; webhook: number; delivery: number; payloadSize: number; dt: number }
  | { kind: "start"; run: number; attempt: number }
  | { kind: "finish"; run: number; attempt: number; outcome: "succeeded" | "retrying" | "failed"; logs: number; result: boolean }
  | { kind: "replayed"; run: number }
  // What the pipeline does: accepted, started and (often) finished back to back, which the store
  // folds into one write when they fall in the same batch.
  | { kind: "run"; create: Extract<Op, { kind: "create" }>; finish?: Omit<Extract<Op, { kind: "finish" }>, "kind" | "run" | "attempt"> }
  // What a Fetch server's runs do: every run accepted in a turn, then each started and finished
  // (the runner waits for the next turn); the store folds them out of order.
  | { kind: "turn"; creates: Array<Extract<Op, { kind: "create" }>>; finish?: Omit<Extract<Op, { kind: "finish" }>, "kind" | "run" | "attempt"> }
  // Something reads the store: the writes so far are applied, the next ones start a new batch.
  | { kind: "read" };

const createOp = fc.record({ kind: fc.constant("create" as const), webhook: fc.nat(2), delivery: fc.nat(3), payloadSize: fc.oneof(fc.nat(40), fc.constant(20_000)), dt: fc.integer({ min: -3, max: 5 }) });
const outcome = fc.constantFrom("succeeded" as const, "retrying" as const, "failed" as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  createOp,
  fc.record(
    { kind: fc.constant("run" as const), create: createOp, finish: fc.record({ outcome: fc.oneof(fc.constant("succeeded" as const), outcome), logs: fc.oneof(fc.constant(0), fc.nat(2)), result: fc.boolean() }) },
    { requiredKeys: ["kind", "create"] },
  ),
  fc.record(
    {
      kind: fc.constant("turn" as const),
      creates: fc.array(createOp, { minLength: 1, maxLength: 5 }),
      finish: fc.record({ outcome: fc.oneof(fc.constant("succeeded" as const), outcome), logs: fc.oneof(fc.constant(0), fc.nat(2)), result: fc.boolean() }),
    },
    { requiredKeys: ["kind", "creates"] },
  ),
  fc.constant({ kind: "read" as const }),
  fc.record({ kind: fc.constant("start" as const), run: fc.nat(60), attempt: fc.integer({ min: 1, max: 3 }) }),
  fc.record({
    kind: fc.constant("finish" as const),
    run: fc.nat(60),
    attempt: fc.integer({ min: 1, max: 3 }),
    outcome: fc.constantFrom("succeeded" as const, "retrying" as const, "failed" as const),
    logs: fc.nat(2),
    result: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("replayed" as const), run: fc.nat(60) }),
);

function seedOf(run: ModelRun): StoredRunStart {
  return { runId: run.runId, webhookId: run.webhookId, deliveryId: run.deliveryId, receivedAt: run.receivedAt };
}

/** Applies `ops` to a fresh store and to the model; returns both. */
function replay(ops: Op[], maxRuns: number) {
  const store = memoryRunStore({ maxRuns, maxAgeMs: 10 * 365 * 86_400_000 });
  const model: ModelRun[] = [];
  const created: ModelRun[] = [];
  // Times near now (so maxAgeMs keeps all), sometimes stepping back like a corrected clock.
  let clock = Date.now() - 1_000_000;
  const steps = ops.flatMap((step): Array<Exclude<Op, { kind: "run" | "turn" }>> => {
    if (step.kind === "run") {
      return [step.create, { kind: "start", run: -1, attempt: 1 }, ...(step.finish ? [{ kind: "finish" as const, run: -1, attempt: 1, ...step.finish }] : [])];
    }
    if (step.kind !== "turn") return [step];
    const { creates, finish } = step;
    // run -k: the k-th run from the last one created.
    return [
      ...creates,
      ...creates.flatMap((_, i) => [
        { kind: "start" as const, run: i - creates.length, attempt: 1 },
        ...(finish ? [{ kind: "finish" as const, run: i - creates.length, attempt: 1, ...finish }] : []),
      ]),
    ];
  });
  for (const step of steps) {
    if (step.kind === "read") {
      expect(store.size).toBe(model.length);
      continue;
    }
    if (step.kind === "create") {
      clock += step.dt;
      const run: ModelRun = {
        runId: `run-${created.length}`,
        webhookId: WEBHOOKS[step.webhook]!,
        deliveryId: DELIVERIES[step.delivery],
        receivedAt: clock,
        status: "queued",
        payload: { n: created.length, pad: "x".repeat(step.payloadSize) },
        attempts: new Map(),
        replays: [],
      };
      created.push(run);
      model.push(run);
      if (model.length > maxRuns) model.shift();
      store.created({ ...seedOf(run), payloadJson: Buffer.from(JSON.stringify(run.payload)), request: { headers: { "content-type": "application/json" }, contentType: "application/json", bytes: 7 } });
      continue;
    }
    // run -1: the run created last; -2 the one before it, and so on.
    const run = step.run < 0 ? created[created.length + step.run] : created[step.run % Math.max(1, created.length)];
    if (!run || !model.includes(run)) continue;
    if (step.kind === "start") {
      if (!run.attempts.has(step.attempt)) run.attempts.set(step.attempt, { startedAt: clock, logs: 0 });
      else run.attempts.get(step.attempt)!.startedAt = clock;
      if (RANK[run.status] <= RANK.running) run.status = "running";
      store.attemptStarted(seedOf(run), step.attempt, clock);
    } else if (step.kind === "finish") {
      const attempt = run.attempts.get(step.attempt) ?? { startedAt: clock, logs: 0 };
      run.attempts.set(step.attempt, attempt);
      attempt.finishedAt = clock + 1;
      if (step.outcome !== "succeeded") attempt.error = `boom ${step.attempt}`;
      if (step.logs > 0) attempt.logs = step.logs;
      const end: StoredAttemptEnd = {
        attempt: step.attempt,
        startedAt: attempt.startedAt,
        finishedAt: clock + 1,
        durationMs: clock + 1 - attempt.startedAt,
        status: step.outcome,
        logs: Array.from({ length: step.logs }, (_, i) => JSON.stringify({ time: clock, level: "info", message: `line ${i}`, fields: {} })),
      };
      if (step.outcome !== "succeeded") end.error = { message: `boom ${step.attempt}` };
      if (step.result) {
        run.result = { ok: step.attempt };
        end.resultJson = JSON.stringify(run.result);
      }
      if (RANK[run.status] <= RANK[step.outcome]) run.status = step.outcome;
      store.attemptFinished(seedOf(run), end);
    } else {
      const replayId = `replay-of-${run.runId}-${run.replays.length}`;
      run.replays.push(replayId);
      store.replayed(run.runId, replayId);
    }
  }
  return { store, model };
}

function expectRecord(record: RunRecord | undefined, run: ModelRun): void {
  expect(record).toBeDefined();
  expect(record!.runId).toBe(run.runId);
  expect(record!.webhookId).toBe(run.webhookId);
  expect(record!.deliveryId).toBe(run.deliveryId);
  expect(record!.status).toBe(run.status);
  expect(record!.receivedAt).toBe(run.receivedAt);
  expect(record!.envelope).toEqual({ page: "inbound_webhook", inboundWebhookId: run.webhookId, payload: run.payload });
  expect(record!.request).toEqual({ headers: { "content-type": "application/json" }, contentType: "application/json", bytes: 7 });
  expect(record!.result).toEqual(run.result);
  expect(record!.replays).toEqual(run.replays);
  const attempts = [...run.attempts.entries()].sort(([a], [b]) => a - b);
  expect(record!.attempts.map((attempt) => [attempt.attempt, attempt.startedAt, attempt.finishedAt, attempt.error?.message, attempt.logs.length])).toEqual(
    attempts.map(([number, attempt]) => [number, attempt.startedAt, attempt.finishedAt, attempt.error, attempt.logs]),
  );
}

/** Every page of `query`, followed through its cursors. */
async function listAll(store: ReturnType<typeof memoryRunStore>, query: Parameters<ReturnType<typeof memoryRunStore>["list"]>[0]): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = await store.list({ ...query, cursor });
    ids.push(...page.runs.map((run) => run.runId));
    if (!page.nextCursor) return ids;
    expect(page.runs).toHaveLength(query.limit);
    cursor = page.nextCursor;
  }
  throw new Error("too many pages");
}

describe("memoryRunStore against a model", () => {
  it("answers get, list (every filter, followed through its cursors) and count as the model does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 150 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), async (ops, maxRuns, limit) => {
        const { store, model } = replay(ops, maxRuns);
        expect(store.size).toBe(model.length);
        for (const run of model) expectRecord(await store.get(run.runId), run);
        // Newest first by receivedAt, then by arrival.
        const newestFirst = model.map((run, arrival) => ({ run, arrival })).sort((a, b) => b.run.receivedAt - a.run.receivedAt || b.arrival - a.arrival).map(({ run }) => run);
        const filters = [
          {},
          ...STATUSES.map((status) => ({ status })),
          ...WEBHOOKS.map((webhookId) => ({ webhookId })),
          ...WEBHOOKS.flatMap((webhookId) => STATUSES.map((status) => ({ webhookId, status }))),
          ...DELIVERIES.filter(Boolean).map((deliveryId) => ({ deliveryId })),
          { deliveryId: "d1", status: "failed" as const },
          ...(model[0] ? [{ runId: model[0].runId }, { runId: model[0].runId, webhookId: "nope" }] : []),
        ];
        for (const filter of filters) {
          const expected = newestFirst.filter((run) => Object.entries(filter).every(([key, value]) => run[key as keyof ModelRun] === value)).map((run) => run.runId);
          expect(await listAll(store, { ...filter, limit })).toEqual(expected);
          expect(await store.count({ ...filter, limit })).toBe(expected.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("finds a run by a delivery id that is not well-formed UTF-16 (a lone surrogate, kept as UTF-8 does: U+FFFD)", async () => {
    const store = memoryRunStore();
    const now = Date.now();
    store.created({ runId: "lone", webhookId: "a", deliveryId: "evt_\ud800x", receivedAt: now, payloadJson: "{}" });
    store.created({ runId: "pair", webhookId: "a", deliveryId: "evt_\u{1F600}", receivedAt: now, payloadJson: "{}" });
    expect(store.size).toBe(2);
    expect((await store.list({ deliveryId: "evt_\ud800x", limit: 10 })).runs.map((run) => run.runId)).toEqual(["lone"]);
    expect((await store.list({ deliveryId: "evt_\u{1F600}", limit: 10 })).runs.map((run) => run.runId)).toEqual(["pair"]);
    expect(await store.count({ deliveryId: "evt_\ud801x", limit: 10 })).toBe(1);
  });

  it("orders and bounds lists by receivedAt whatever order runs arrive in (a clock step back, history imported newest first)", async () => {
    const store = memoryRunStore();
    const base = Date.now() - 10_000;
    const times = [0, 10, 20, 30, 25, 40, 50];
    times.forEach((dt, i) => store.created({ runId: `r${i}`, webhookId: "a", deliveryId: undefined, receivedAt: base + dt, payloadJson: "{}" }));
    const ids = async (since?: number, until?: number) => (await store.list({ since, until, limit: 50 })).runs.map((run) => run.runId);
    expect(await ids(base + 10, base + 20)).toEqual(["r2", "r1"]);
    expect(await ids(base + 40)).toEqual(["r6", "r5"]);
    expect(await ids(undefined, base + 10)).toEqual(["r1", "r0"]);
    expect(await store.count({ since: base + 10, until: base + 20, limit: 50 })).toBe(2);
    expect(await ids()).toEqual(["r6", "r5", "r3", "r4", "r2", "r1", "r0"]);
    expect(await ids(base + 25, base + 30)).toEqual(["r3", "r4"]);
    const imported = memoryRunStore();
    for (let i = 0; i < 20; i++) imported.created({ runId: `h${i}`, webhookId: "a", deliveryId: undefined, receivedAt: base - i * 100, payloadJson: "{}" });
    expect((await imported.list({ since: base - 450, limit: 50 })).runs.map((run) => run.runId)).toEqual(["h0", "h1", "h2", "h3", "h4"]);
    expect(await imported.count({ until: base - 1_000, limit: 50 })).toBe(10);
  });

  it("grows past its first 1,024 slots and drops the oldest at maxRuns, with every index intact", async () => {
    const store = memoryRunStore({ maxRuns: 3_000 });
    const now = Date.now();
    for (let i = 0; i < 5_000; i++) {
      const seed = { runId: `r${i}`, webhookId: i % 2 ? "odd" : "even", deliveryId: `d${i % 7}`, receivedAt: now - 5_000 + i };
      store.created({ ...seed, payloadJson: Buffer.from(JSON.stringify({ i })) });
      store.attemptStarted(seed, 1, now);
      if (i % 3) store.attemptFinished(seed, { attempt: 1, startedAt: now, finishedAt: now + 1, durationMs: 1, status: i % 5 ? "succeeded" : "failed", logs: [] });
    }
    expect(store.size).toBe(3_000);
    expect(await store.get("r1999")).toBeUndefined();
    expect((await store.get("r2000"))?.envelope?.payload).toEqual({ i: 2_000 });
    expect((await store.get("r4999"))?.envelope?.payload).toEqual({ i: 4_999 });
    const kept = Array.from({ length: 3_000 }, (_, k) => 2_000 + k);
    const expectIds = (pred: (i: number) => boolean) => kept.filter(pred).reverse().map((i) => `r${i}`);
    expect(await listAll(store, { limit: 500 })).toEqual(expectIds(() => true));
    expect(await listAll(store, { webhookId: "odd", status: "failed", limit: 50 })).toEqual(expectIds((i) => i % 2 === 1 && i % 3 !== 0 && i % 5 === 0));
    expect(await listAll(store, { status: "running", limit: 200 })).toEqual(expectIds((i) => i % 3 === 0));
    expect(await listAll(store, { deliveryId: "d3", limit: 100 })).toEqual(expectIds((i) => i % 7 === 3));
  });

  it("keeps large payloads in buffers of their own and bounds the bytes it holds", async () => {
    const store = memoryRunStore({ maxBytes: 1_000_000 });
    const big = "y".repeat(300_000);
    for (let i = 0; i < 10; i++) store.created({ runId: `r${i}`, webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), payloadJson: JSON.stringify({ i, big }) });
    expect(store.bytes).toBeLessThanOrEqual(1_000_000);
    expect(store.size).toBe(3);
    expect((await store.get("r9"))?.envelope?.payload).toEqual({ i: 9, big });
    expect(await store.get("r6")).toBeUndefined();
    // A body that is a whole buffer of its own, as Buffer.concat gives, and a view into a larger one.
    const whole = Buffer.concat([Buffer.from(JSON.stringify({ whole: big }))]);
    const larger = Buffer.from(`xx${JSON.stringify({ view: big })}yy`);
    store.created({ runId: "whole", webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), payloadJson: whole });
    store.created({ runId: "view", webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), payloadJson: larger.subarray(2, larger.length - 2) });
    expect((await store.get("whole"))?.envelope?.payload).toEqual({ whole: big });
    expect((await store.get("view"))?.envelope?.payload).toEqual({ view: big });
  });

  it("copies 64 KiB payloads into recycled segments: each comes back exactly, within maxBytes", async () => {
    const store = memoryRunStore();
    const payloadOf = (i: number) => ({ i, fill: String.fromCharCode(97 + (i % 26)).repeat(65_000) });
    // 38 MiB through a 32 MiB store: the oldest runs go, and their segments are written again.
    for (let i = 0; i < 600; i++) {
      store.created({ runId: `r${i}`, webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), payloadJson: Buffer.from(JSON.stringify(payloadOf(i))) });
      if (i % 50 === 49) expect(store.bytes).toBeLessThanOrEqual(33_554_432);
    }
    const kept = store.size;
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
    expect(await store.get(`r${599 - kept}`)).toBeUndefined();
    for (let i = 600 - kept; i < 600; i++) expect((await store.get(`r${i}`))?.envelope?.payload).toEqual(payloadOf(i));
  });

  it("gives back request metadata exactly as it was written, whatever the headers hold", async () => {
    const store = memoryRunStore();
    const header = fc.string({ unit: "binary", maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(header, fc.string({ unit: "binary", maxLength: 40 }), { maxKeys: 6 }),
        fc.option(fc.string({ unit: "binary", maxLength: 20 }), { nil: undefined }),
        fc.nat(),
        async (headers, contentType, bytes) => {
          // A NUL in a name or value (never sent over HTTP, possible from a hand-built request) too.
          const request = contentType === undefined ? { headers, bytes } : { headers, contentType, bytes };
          const runId = `r${bytes}-${Math.random()}`;
          store.created({ runId, webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), request });
          expect((await store.get(runId))?.request).toEqual(request);
        },
      ),
      { numRuns: 300 },
    );
    const withNul = { headers: { "x-a\u0000b": "v\u0000w", "content-type": "application/json" }, contentType: "application/json", bytes: 3 };
    store.created({ runId: "nul", webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), request: withNul });
    expect((await store.get("nul"))?.request).toEqual(withNul);
    // A header a sender named __proto__ is kept as the header it is, and pollutes nothing.
    const proto = { headers: JSON.parse('{"__proto__":"x","host":"h"}') as Record<string, string>, bytes: 2 };
    store.created({ runId: "proto", webhookId: "a", deliveryId: undefined, receivedAt: Date.now(), request: proto });
    const kept = (await store.get("proto"))?.request?.headers;
    expect(Object.entries(kept ?? {})).toEqual([
      ["__proto__", "x"],
      ["host", "h"],
    ]);
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
  });

  it("records a header a sender named __proto__ in the run's request metadata", async () => {
    const hooks = createInboundWebhooks({ webhooks: [{ id: "a", auth: bearer("t"), agent() {} }] });
    const headers = JSON.parse('{"authorization":"Bearer t","__proto__":"x","content-type":"application/json"}') as Record<string, string>;
    const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: "a", headers, body: "{}" });
    expect(response.status).toBe(202);
    const { runId } = JSON.parse(response.body) as { runId: string };
    const record = await hooks.runs.get(runId);
    expect(Object.entries(record?.request?.headers ?? {})).toEqual([
      ["__proto__", "x"],
      ["content-type", "application/json"],
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    await hooks.close();
  });

  // The default store encodes a request's headers itself, straight from the request; a store
  // wrapped around it gets (and forwards) the metadata object instead. Both keep the same.
  const metadataBothWays = async (headers: Record<string, string | string[]>) => {
    const direct = createInboundWebhooks({ webhooks: [{ id: "a", auth: bearer("t"), agent() {} }] });
    const inner = memoryRunStore();
    const seen: StoredRunStart[] = [];
    // A spread copies every method of the store (they close over it): a wrapper as a user writes one.
    const wrapped: RunStore = { ...inner, created: (start) => (seen.push(start), inner.created(start)) };
    const viaObject = createInboundWebhooks({ webhooks: [{ id: "a", auth: bearer("t"), agent() {} }], runs: { store: wrapped } });
    const records = [];
    for (const hooks of [direct, viaObject]) {
      const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: "a", headers: { ...headers, authorization: "Bearer t" }, body: "{}" });
      expect(response.status).toBe(202);
      records.push((await hooks.runs.get((JSON.parse(response.body) as { runId: string }).runId))!.request);
      await hooks.close();
    }
    expect(JSON.stringify(seen)).not.toContain("Bearer t");
    return records as [RunRecord["request"], RunRecord["request"]];
  };

  it("keeps a request's headers lower-cased, capped and without credentials, straight from the request", async () => {
    const [direct, viaObject] = await metadataBothWays({
      "Content-Type": "application/json",
      Cookie: "session=SECRET",
      "X-Hub-Signature-256": "sha256=SECRET",
      "X-Request-Id": "req-1",
      "x-latin": "caf\u00e9",
      "x-list": ["a", "b"],
      "x-long": "a".repeat(2_000),
    });
    expect(direct).toEqual({
      headers: { "content-type": "application/json", "x-request-id": "req-1", "x-latin": "caf\u00e9", "x-list": "a, b", "x-long": `${"a".repeat(1_024)}\u2026` },
      contentType: "application/json",
      bytes: 2,
    });
    expect(viaObject).toEqual(direct);
    expect(JSON.stringify(direct)).not.toContain("SECRET");
  });

  it("keeps the rest of a run's record, and says why, when its request's headers cannot be read", async () => {
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (fields: unknown) => void warnings.push(fields), error() {} };
    const hooks = createInboundWebhooks({ webhooks: [{ id: "a", auth: bearer("t"), agent: () => ({ ok: true }) }], logger });
    // A hand-built request's headers whose enumeration throws (a Proxy): looking one up still works.
    const headers = new Proxy({ authorization: "Bearer t", "content-type": "application/json" }, {
      ownKeys() {
        throw new Error("headers cannot be listed");
      },
    });
    const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: "a", headers, body: '{"n":1}' });
    expect(response.status).toBe(202);
    const runId = (JSON.parse(response.body) as { runId: string }).runId;
    let record = await hooks.runs.get(runId);
    // The agent runs on a later turn: wait for its end (bounded).
    for (let turn = 0; turn < 200 && record?.status !== "succeeded"; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      record = await hooks.runs.get(runId);
    }
    expect(record).toMatchObject({ status: "succeeded", envelope: { page: "inbound_webhook", inboundWebhookId: "a", payload: { n: 1 } }, result: { ok: true } });
    expect(record!.attempts).toHaveLength(1);
    expect(record!.request).toBeUndefined();
    expect(JSON.stringify(warnings)).toContain("headers cannot be listed");
    await hooks.close();
  });

  it("keeps the same request metadata whichever way it is encoded, whatever the headers hold", async () => {
    const reserved = /^(authorization|content-length|content-encoding|content-type|transfer-encoding)$/i;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ unit: "binary", maxLength: 12 }).filter((name) => !reserved.test(name)), fc.string({ unit: "binary", maxLength: 40 }), { maxKeys: 6 }),
        async (headers) => {
          const [direct, viaObject] = await metadataBothWays(headers);
          expect(direct).toEqual(viaObject);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("memoryRunStore's write batches", () => {
  it("applies writes before anything reads; a write that fails is reported and the writes after it still apply", async () => {
    const store = memoryRunStore();
    const errors: unknown[] = [];
    store.onWriteError = (error) => errors.push(error);
    const now = Date.now();
    const seed = (runId: string) => ({ runId, webhookId: "a", deliveryId: undefined, receivedAt: now });
    store.created({ ...seed("ok-1"), payloadJson: "{\"n\":1}" });
    // A write that throws while it is applied (here: a payload getter; in real life, a bug).
    store.created({
      ...seed("bad"),
      get payloadJson(): string {
        throw new Error("cannot read this payload");
      },
    });
    store.attemptStarted(seed("ok-1"), 1, now + 1);
    store.created({ ...seed("ok-2"), payloadJson: "{\"n\":2}" });
    store.attemptStarted(seed("ok-2"), 1, now + 2);
    store.attemptFinished(seed("ok-2"), { attempt: 1, startedAt: now + 2, finishedAt: now + 3, durationMs: 1, status: "succeeded", logs: [], resultJson: "{\"done\":true}" });
    // Nothing awaited: a read right after the writes sees them.
    expect(store.size).toBe(3);
    expect(errors).toEqual([new Error("cannot read this payload")]);
    expect(await store.get("ok-1")).toMatchObject({ status: "running", startedAt: now + 1, envelope: { payload: { n: 1 } } });
    expect(await store.get("ok-2")).toMatchObject({ status: "succeeded", startedAt: now + 2, finishedAt: now + 3, durationMs: 3, result: { done: true }, attempts: [{ attempt: 1, startedAt: now + 2, finishedAt: now + 3, durationMs: 1, logs: [] }] });
    expect((await store.list({ status: "succeeded", limit: 10 })).runs.map((run) => run.runId)).toEqual(["ok-2"]);
    expect((await store.list({ status: "running", limit: 10 })).runs.map((run) => run.runId)).toEqual(["ok-1"]);
  });

  it("folds runs started after every run of the batch was accepted, and never folds a write in before one that came earlier", async () => {
    const store = memoryRunStore();
    const now = Date.now();
    const seed = (runId: string) => ({ runId, webhookId: "a", deliveryId: undefined, receivedAt: now });
    const end = (startedAt: number, status: "succeeded" | "failed"): StoredAttemptEnd => ({
      attempt: 1,
      startedAt,
      finishedAt: startedAt + 1,
      durationMs: 1,
      status,
      logs: [],
      ...(status === "failed" ? { error: { message: "boom" } } : {}),
    });
    for (const runId of ["a", "b", "c", "d"]) store.created({ ...seed(runId), payloadJson: "{}" });
    // "b" ends before it starts (its start is late news): that end must stay before the start.
    store.attemptFinished(seed("b"), end(now + 5, "failed"));
    store.attemptStarted(seed("a"), 1, now + 1);
    store.attemptFinished(seed("a"), end(now + 1, "succeeded"));
    store.attemptStarted(seed("b"), 1, now + 7);
    store.attemptStarted(seed("c"), 1, now + 3);
    store.attemptFinished(seed("c"), end(now + 3, "succeeded"));
    store.attemptStarted(seed("d"), 1, now + 4);
    expect(await store.get("a")).toMatchObject({ status: "succeeded", startedAt: now + 1, finishedAt: now + 2, attempts: [{ attempt: 1, startedAt: now + 1, finishedAt: now + 2 }] });
    expect(await store.get("b")).toMatchObject({ status: "failed", attempts: [{ attempt: 1, startedAt: now + 7, finishedAt: now + 6, error: { message: "boom" } }] });
    expect(await store.get("c")).toMatchObject({ status: "succeeded", startedAt: now + 3, attempts: [{ attempt: 1, startedAt: now + 3, finishedAt: now + 4 }] });
    expect(await store.get("d")).toMatchObject({ status: "running", startedAt: now + 4, attempts: [{ attempt: 1, startedAt: now + 4 }] });
    expect((await store.list({ status: "succeeded", limit: 10 })).runs.map((run) => run.runId).sort()).toEqual(["a", "c"]);
    expect((await store.list({ status: "running", limit: 10 })).runs.map((run) => run.runId)).toEqual(["d"]);
    expect((await store.list({ status: "queued", limit: 10 })).runs).toEqual([]);

    // "e" started, then another run came, then its second attempt's end (late news from a retry)
    // before its first attempt's: the later write wins, as it does applied one by one.
    store.created({ ...seed("e"), payloadJson: "{}" });
    store.attemptStarted(seed("e"), 1, now + 1);
    store.created({ ...seed("f"), payloadJson: "{}" });
    store.attemptFinished(seed("e"), { ...end(now + 10, "failed"), attempt: 2 });
    store.attemptFinished(seed("e"), end(now + 1, "succeeded"));
    expect(await store.get("e")).toMatchObject({ status: "succeeded", finishedAt: now + 2 });

    // A run whose attempt was written before the run itself (a worker got there first): its
    // `created` completes that record, in the same batch or a later one, and leaves its status.
    store.attemptStarted(seed("g"), 1, now + 1);
    store.created({ ...seed("g"), payloadJson: '{"g":1}' });
    store.attemptFinished(seed("g"), end(now + 1, "succeeded"));
    store.attemptStarted(seed("g"), 1, now + 8);
    expect(await store.get("g")).toMatchObject({ status: "succeeded", envelope: { payload: { g: 1 } }, attempts: [{ attempt: 1, startedAt: now + 8, finishedAt: now + 2 }] });
    store.attemptStarted(seed("h"), 1, now + 1);
    expect((await store.list({ status: "running", limit: 10 })).runs.map((run) => run.runId)).toEqual(["h", "d"]);
    store.created({ ...seed("h"), payloadJson: '{"h":1}' });
    expect(await store.get("h")).toMatchObject({ status: "running", envelope: { payload: { h: 1 } }, attempts: [{ attempt: 1, startedAt: now + 1 }] });
    expect(await store.count({ limit: 10 })).toBe(8);
    expect((await store.list({ status: "running", limit: 10 })).runs.map((run) => run.runId)).toEqual(["h", "d"]);
  });
});
