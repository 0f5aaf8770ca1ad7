import { z } from "zod";
import { parseOptions } from "../config";
import { HookrunError } from "../errors";
import { textOf } from "./recorder";
import { metadataBytes } from "./stored-headers";
import { DEFAULT_MAX_REFUSED, DEFAULT_MAX_RUN_AGE_MS, DEFAULT_MAX_RUN_BYTES, DEFAULT_MAX_RUNS } from "./options";
import { RunList } from "./run-list";
import type {
  RefusedRequest,
  RunAttemptRecord,
  RunPage,
  RunRecord,
  RunRetention,
  RunStatus,
  RunStore,
  RunStoreQuery,
  StoredAttemptEnd,
  StoredRunStart,
} from "./types";

const optionsSchema = z
  .object({
    maxRuns: z.number().int().min(1).max(10_000_000).default(DEFAULT_MAX_RUNS),
    maxBytes: z.number().int().min(1).max(2 ** 40).default(DEFAULT_MAX_RUN_BYTES),
    maxAgeMs: z.number().int().min(1).max(10 * 365 * 86_400_000).default(DEFAULT_MAX_RUN_AGE_MS),
    maxRefused: z.number().int().min(0).max(1_000_000).default(DEFAULT_MAX_REFUSED),
  })
  .strict();

/** Options of {@link memoryRunStore}: its retention. */
export type MemoryRunStoreOptions = Partial<RunRetention>;

// Rough fixed cost of one record in memory (its objects, ids, index slots): with this, the estimate
// matches the heap growth `pnpm bench` (runs-list) measures for 1 KB payloads within a few percent.
const RECORD_BYTES = 1_220;
const ATTEMPT_BYTES = 160;
const LINE_BYTES = 48;

interface Attempt {
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  error?: RunAttemptRecord["error"];
  logs?: string[];
  logsDropped?: number;
}

/** A record as the store keeps it: JSON text for what is large or sender-controlled, parsed on read. */
interface Run {
  seq: number;
  runId: string;
  webhookId: string;
  agent: string | undefined;
  deliveryId: string | undefined;
  status: RunStatus;
  receivedAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  attempts: Attempt[];
  start: StoredRunStart | undefined;
  resultJson: string | undefined;
  resultOmitted: StoredAttemptEnd["resultOmitted"];
  replays: string[] | undefined;
  bytes: number;
}

// A status never moves back: a late write (another process, a slow store) cannot undo a later one.
const RANK: Record<RunStatus, number> = { queued: 0, running: 1, retrying: 1, succeeded: 2, failed: 2 };

/**
 * The in-memory run store: the default with `memoryRunner`. Records live in this process and are
 * lost with it. Bounded three ways, the oldest run dropped first: `maxRuns` (default 1,000),
 * `maxBytes` (estimated, default 32 MiB) and `maxAgeMs` (default 7 days); and the last
 * `maxRefused` refused requests (default 1,000). Lists are served from sorted indexes (all runs,
 * per status, per webhook, per webhook and status, per delivery id), never by scanning.
 *
 * @example
 * ```ts
 * createInboundWebhooks({ webhooks, runs: { store: memoryRunStore({ maxRuns: 10_000, maxBytes: 256 * 1024 * 1024 }) } });
 * ```
 */
export function memoryRunStore(options: MemoryRunStoreOptions = {}): RunStore & { readonly bytes: number; readonly size: number } {
  const retention = parseOptions(optionsSchema, options, "memoryRunStore");
  const byId = new Map<string, Run>();
  const all = new RunList<Run>();
  const byStatus = new Map<string, RunList<Run>>();
  const byWebhook = new Map<string, RunList<Run>>();
  const byDelivery = new Map<string, Run[]>();
  const refused: RefusedRequest[] = [];
  let refusedNext = 0;
  let seq = 0;
  let bytes = 0;

  const listOf = (map: Map<string, RunList<Run>>, key: string) => {
    let list = map.get(key);
    if (!list) map.set(key, (list = new RunList<Run>()));
    return list;
  };
  const statusKey = (status: RunStatus) => status;

  function index(run: Run): void {
    all.add(run);
    listOf(byWebhook, run.webhookId).add(run);
    indexStatus(run);
    if (run.deliveryId !== undefined) {
      const runs = byDelivery.get(run.deliveryId);
      if (runs) runs.push(run);
      else byDelivery.set(run.deliveryId, [run]);
    }
  }

  function indexStatus(run: Run): void {
    listOf(byStatus, statusKey(run.status)).add(run);
    webhookStatusList(run.webhookId, run.status, true)!.add(run);
  }

  // perf: the per-webhook status lists are found through two map look-ups, not a key string built
  // on every status change.
  const webhookStatusLists = new Map<string, Map<RunStatus, RunList<Run>>>();
  function webhookStatusList(webhookId: string, status: RunStatus, create: boolean): RunList<Run> | undefined {
    let lists = webhookStatusLists.get(webhookId);
    if (!lists) {
      if (!create) return undefined;
      webhookStatusLists.set(webhookId, (lists = new Map()));
    }
    let list = lists.get(status);
    if (!list && create) lists.set(status, (list = new RunList<Run>()));
    return list;
  }

  function unindexStatus(run: Run): void {
    byStatus.get(statusKey(run.status))?.remove(run);
    const list = webhookStatusList(run.webhookId, run.status, false);
    if (list) {
      list.remove(run);
      if (list.size === 0) webhookStatusLists.get(run.webhookId)!.delete(run.status);
    }
  }

  function drop(run: Run): void {
    byId.delete(run.runId);
    all.remove(run);
    const hook = byWebhook.get(run.webhookId);
    hook?.remove(run);
    if (hook?.size === 0) byWebhook.delete(run.webhookId);
    unindexStatus(run);
    if (run.deliveryId !== undefined) {
      const runs = byDelivery.get(run.deliveryId)!;
      if (runs.length === 1) byDelivery.delete(run.deliveryId);
      else byDelivery.set(run.deliveryId, runs.filter((other) => other !== run));
    }
    bytes -= run.bytes;
  }

  /** Drops the oldest runs past any bound; `keep` (just written) survives a byte overflow of its own. */
  function enforce(now: number, keep?: Run): void {
    const cutoff = now - retention.maxAgeMs;
    for (let oldest = all.oldest(); oldest; oldest = all.oldest()) {
      if (oldest.receivedAt >= cutoff && byId.size <= retention.maxRuns && (bytes <= retention.maxBytes || oldest === keep)) break;
      drop(oldest);
    }
  }

  function setStatus(run: Run, status: RunStatus): void {
    if (run.status === status) return;
    unindexStatus(run);
    run.status = status;
    indexStatus(run);
  }

  function add(seed: StoredRunStart, start: StoredRunStart | undefined): Run {
    const run: Run = {
      seq: ++seq,
      runId: seed.runId,
      webhookId: seed.webhookId,
      agent: seed.agent,
      deliveryId: seed.deliveryId,
      status: "queued",
      receivedAt: seed.receivedAt,
      startedAt: undefined,
      finishedAt: undefined,
      attempts: [],
      start,
      resultJson: undefined,
      resultOmitted: undefined,
      replays: undefined,
      bytes: RECORD_BYTES + startBytes(start),
    };
    byId.set(run.runId, run);
    bytes += run.bytes;
    index(run);
    return run;
  }

  function grow(run: Run, delta: number): void {
    run.bytes += delta;
    bytes += delta;
  }

  function attemptOf(run: Run, number: number, startedAt: number): Attempt {
    let attempt = run.attempts.find((candidate) => candidate.attempt === number);
    if (!attempt) {
      attempt = { attempt: number, startedAt };
      run.attempts.push(attempt);
      if (run.attempts.length > 1 && run.attempts[run.attempts.length - 2]!.attempt > number) run.attempts.sort((a, b) => a.attempt - b.attempt);
      grow(run, ATTEMPT_BYTES);
    }
    return attempt;
  }

  function matches(run: Run, query: RunStoreQuery): boolean {
    return (
      (query.status === undefined || run.status === query.status) &&
      (query.webhookId === undefined || run.webhookId === query.webhookId) &&
      (query.deliveryId === undefined || run.deliveryId === query.deliveryId) &&
      (query.runId === undefined || run.runId === query.runId) &&
      (query.since === undefined || run.receivedAt >= query.since) &&
      (query.until === undefined || run.receivedAt <= query.until)
    );
  }

  /** The smallest index answering `query` alone, or the few runs of one run id or delivery id. */
  function candidates(query: RunStoreQuery): RunList<Run> | Run[] {
    if (query.runId !== undefined) {
      const run = byId.get(query.runId);
      return run ? [run] : [];
    }
    if (query.deliveryId !== undefined) return byDelivery.get(query.deliveryId) ?? [];
    if (query.status !== undefined) {
      return (query.webhookId === undefined ? byStatus.get(statusKey(query.status)) : webhookStatusList(query.webhookId, query.status, false)) ?? new RunList<Run>();
    }
    if (query.webhookId !== undefined) return byWebhook.get(query.webhookId) ?? new RunList<Run>();
    return all;
  }

  return {
    name: "memory",
    get bytes() {
      return bytes;
    },
    get size() {
      return byId.size;
    },
    created(start) {
      const existing = byId.get(start.runId);
      if (existing) {
        // A worker got there first (another process's store); keep its status and attempts.
        grow(existing, startBytes(start) - startBytes(existing.start));
        existing.start = start;
        return;
      }
      enforce(Date.now(), add(start, start));
    },
    attemptStarted(seed, number, startedAt) {
      const run = byId.get(seed.runId) ?? add(seed, undefined);
      const attempt = attemptOf(run, number, startedAt);
      attempt.startedAt = startedAt;
      run.startedAt ??= startedAt;
      if (RANK[run.status] <= RANK.running) setStatus(run, "running");
    },
    attemptFinished(seed, end) {
      const run = byId.get(seed.runId) ?? add(seed, undefined);
      const attempt = attemptOf(run, end.attempt, end.startedAt);
      attempt.finishedAt = end.finishedAt;
      attempt.durationMs = end.durationMs;
      if (end.error) attempt.error = end.error;
      if (end.logs.length > 0) {
        attempt.logs = end.logs;
        let added = 0;
        for (const line of end.logs) added += LINE_BYTES + line.length;
        grow(run, added);
      }
      if (end.logsDropped !== undefined) attempt.logsDropped = end.logsDropped;
      if (end.resultJson !== undefined) {
        run.resultJson = end.resultJson;
        grow(run, end.resultJson.length);
      }
      if (end.resultOmitted !== undefined) run.resultOmitted = end.resultOmitted;
      run.startedAt ??= end.startedAt;
      if (end.status !== "retrying") run.finishedAt = end.finishedAt;
      if (RANK[run.status] <= RANK[end.status]) setStatus(run, end.status);
      if (run.bytes > RECORD_BYTES && bytes > retention.maxBytes) enforce(Date.now());
    },
    replayed(runId, replayRunId) {
      const run = byId.get(runId);
      if (!run) return;
      (run.replays ??= []).push(replayRunId);
      grow(run, 48 + replayRunId.length);
    },
    refused(entry) {
      if (retention.maxRefused === 0) return;
      // A ring: the oldest entry is overwritten once `maxRefused` are held.
      if (refused.length < retention.maxRefused) refused.push(entry);
      else refused[refusedNext] = entry;
      refusedNext = (refusedNext + 1) % retention.maxRefused;
    },
    async get(runId) {
      enforce(Date.now());
      const run = byId.get(runId);
      return run && toRecord(run);
    },
    async list(query) {
      enforce(Date.now());
      const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
      const source = candidates(query);
      const bounds = { since: query.since, until: query.until, cursor };
      let page: { items: Run[]; more: boolean };
      if (Array.isArray(source)) {
        const sorted = source.filter((run) => matches(run, query) && (!cursor || before(run, cursor))).sort((a, b) => (before(a, b) ? 1 : -1));
        page = { items: sorted.slice(0, query.limit), more: sorted.length > query.limit };
      } else {
        // The index answers status/webhook/time; nothing else is left to check.
        page = source.page(bounds, query.limit);
      }
      const runs = page.items.map(toRecord);
      const last = page.items[page.items.length - 1];
      return page.more && last ? { runs, nextCursor: `${last.receivedAt}.${last.seq}` } : { runs };
    },
    async count(query) {
      enforce(Date.now());
      const source = candidates(query);
      if (Array.isArray(source)) return source.filter((run) => matches(run, query)).length;
      return source.countBetween(query.since, query.until);
    },
    async listRefused({ since, limit }) {
      const newestFirst: RefusedRequest[] = [];
      const size = refused.length;
      for (let i = 1; i <= size && newestFirst.length < limit; i++) {
        const entry = refused[(refusedNext - i + size * 2) % size]!;
        if (since !== undefined && entry.time < since) break;
        newestFirst.push({ ...entry });
      }
      return newestFirst;
    },
  };
}

const before = (a: { receivedAt: number; seq: number }, b: { receivedAt: number; seq: number }) =>
  a.receivedAt < b.receivedAt || (a.receivedAt === b.receivedAt && a.seq < b.seq);

function parseCursor(cursor: string): { receivedAt: number; seq: number } {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(cursor);
  if (!match) throw new HookrunError("invalid_filter", "The cursor is not one this store gave out.");
  return { receivedAt: Number(match[1]), seq: Number(match[2]) };
}

function startBytes(start: StoredRunStart | undefined): number {
  if (!start) return 0;
  const payload = start.payloadJson;
  const payloadBytes = payload === undefined ? 0 : typeof payload === "string" ? payload.length : payload.byteLength;
  return payloadBytes + metadataBytes(start.request) + (start.replayReason?.length ?? 0);
}

function toRecord(run: Run): RunRecord {
  const start = run.start;
  const record: RunRecord = {
    runId: run.runId,
    webhookId: run.webhookId,
    deliveryId: run.deliveryId,
    status: run.status,
    receivedAt: run.receivedAt,
    attempts: run.attempts.map(toAttempt),
    replays: run.replays ? [...run.replays] : [],
  };
  if (run.agent !== undefined) record.agent = run.agent;
  if (run.startedAt !== undefined) record.startedAt = run.startedAt;
  if (run.finishedAt !== undefined) {
    record.finishedAt = run.finishedAt;
    record.durationMs = run.finishedAt - run.receivedAt;
  }
  if (run.resultJson !== undefined) record.result = JSON.parse(run.resultJson);
  if (run.resultOmitted !== undefined) record.resultOmitted = run.resultOmitted;
  if (start) {
    if (start.payloadJson !== undefined) {
      record.envelope = { page: "inbound_webhook", inboundWebhookId: run.webhookId, payload: JSON.parse(textOf(start.payloadJson)) };
    }
    if (start.envelopeOmitted !== undefined) record.envelopeOmitted = start.envelopeOmitted;
    if (start.redacted) record.redacted = true;
    if (start.request) record.request = { ...start.request, headers: { ...start.request.headers } };
    if (start.replayOf !== undefined) record.replayOf = start.replayOf;
    if (start.replayReason !== undefined) record.replayReason = start.replayReason;
  }
  return record;
}

function toAttempt(attempt: Attempt): RunAttemptRecord {
  const record: RunAttemptRecord = { attempt: attempt.attempt, startedAt: attempt.startedAt, logs: attempt.logs ? attempt.logs.map((line) => JSON.parse(line)) : [] };
  if (attempt.finishedAt !== undefined) record.finishedAt = attempt.finishedAt;
  if (attempt.durationMs !== undefined) record.durationMs = attempt.durationMs;
  if (attempt.error) record.error = { ...attempt.error };
  if (attempt.logsDropped !== undefined) record.logsDropped = attempt.logsDropped;
  return record;
}
