import { randomUUID } from "node:crypto";
import { HookrunError } from "../errors";
import type { Runner, RunnerJob } from "../runner/runner";
import type { Envelope } from "../types";
import type { RunsRecorder } from "./recorder";
import { RUN_STATUSES, type RunFilter, type RunQuery, type RunRecord, type RunsApi, type RunStoreQuery } from "./types";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const DEFAULT_REPLAY_MAX = 1_000;
const EMPTY_PAGE = { runs: [] };

/** `hooks.runs` over the recorder's store; replays go through `runner` like any accepted job. */
export function createRunsApi(recorder: RunsRecorder, runner: Pick<Runner, "enqueue" | "envelopeOf">): RunsApi {
  const { store } = recorder;

  async function replayRecord(record: RunRecord, reason: string | undefined): Promise<{ runId: string }> {
    const envelope = await envelopeFor(record, runner);
    const job: RunnerJob = { runId: randomUUID(), webhookId: record.webhookId, envelope, deliveryId: record.deliveryId, receivedAt: Date.now(), replayOf: record.runId };
    if (record.agent !== undefined) job.agent = record.agent;
    await runner.enqueue(job);
    recorder.accepted(job, undefined, undefined, 0, reason);
    recorder.write(store!.replayed(record.runId, job.runId));
    return { runId: job.runId };
  }

  return {
    async list(query = {}) {
      const normalized = normalize(query, true);
      return store ? store.list(normalized) : EMPTY_PAGE;
    },
    async count(filter = {}) {
      const query = normalize(filter, false);
      return store ? store.count(query) : 0;
    },
    async get(runId) {
      if (typeof runId !== "string") throw new HookrunError("invalid_filter", "runId must be a string.");
      return store?.get(runId);
    },
    async replay(runId, options = {}) {
      const record = typeof runId === "string" ? await store?.get(runId) : undefined;
      if (!record) throw new HookrunError("run_not_found", "No run with this id is recorded (unknown, or past retention).");
      return replayRecord(record, options.reason);
    },
    async replayMany(filter, options = {}) {
      const query = normalize(filter, false);
      const { status, webhookId, deliveryId, runId, since, until } = query;
      if ([status, webhookId, deliveryId, runId, since, until].every((value) => value === undefined)) {
        throw new HookrunError("invalid_filter", "replayMany needs a filter (status, webhookId, deliveryId, runId, since or until): it does not replay every run.");
      }
      const max = options.max ?? DEFAULT_REPLAY_MAX;
      if (!Number.isInteger(max) || max < 1) throw new HookrunError("invalid_filter", "max must be a positive integer.");
      if (!store) return { dryRun: options.dryRun === true, matched: 0, replays: [], skipped: [] };
      const matched = await store.count(query);
      if (options.dryRun) return { dryRun: true, matched, replays: [], skipped: [] };
      // Collect first: the replays are new runs that may match the filter themselves.
      const originals: RunRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ ...query, limit: Math.min(MAX_LIMIT, max - originals.length), ...(cursor === undefined ? {} : { cursor }) });
        originals.push(...page.runs);
        cursor = page.nextCursor;
      } while (cursor !== undefined && originals.length < max);
      const replays: Array<{ runId: string; replayOf: string }> = [];
      const skipped: Array<{ runId: string; reason: string }> = [];
      for (const record of originals) {
        try {
          replays.push({ runId: (await replayRecord(record, options.reason)).runId, replayOf: record.runId });
        } catch (error) {
          // One run that cannot be replayed (payload not stored, queue full) does not stop the rest.
          skipped.push({ runId: record.runId, reason: error instanceof HookrunError ? error.code : "internal_error" });
        }
      }
      return { dryRun: false, matched, replays, skipped };
    },
    async refused(query = {}) {
      const since = time(query.since, "since");
      const limit = limitOf(query.limit);
      return store ? store.listRefused(since === undefined ? { limit } : { since, limit }) : [];
    },
  };
}

/**
 * The envelope to run again: the stored one when it is complete (stored, not redacted), else the
 * runner's own copy of the job when it still has it (BullMQ keeps finished jobs for a while).
 */
async function envelopeFor(record: RunRecord, runner: Pick<Runner, "envelopeOf">): Promise<Envelope> {
  if (record.envelope && !record.redacted) return record.envelope;
  const held = await runner.envelopeOf?.(record.runId);
  if (held) return held;
  const why = record.redacted ? "its stored payload is redacted" : record.envelopeOmitted === "too_large" ? "its payload was too large to store" : "its payload was not stored";
  throw new HookrunError("replay_unavailable", `This run cannot be replayed: ${why} and the runner no longer holds the job.`);
}

function normalize(query: RunQuery | RunFilter, paged: boolean): RunStoreQuery {
  if (typeof query !== "object" || query === null) throw new HookrunError("invalid_filter", "Expected a filter object.");
  const { status, webhookId, deliveryId, runId } = query;
  if (status !== undefined && !RUN_STATUSES.includes(status)) throw new HookrunError("invalid_filter", `status must be one of ${RUN_STATUSES.join(", ")}.`);
  for (const [name, value] of [["webhookId", webhookId], ["deliveryId", deliveryId], ["runId", runId]] as const) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0 || value.length > 256)) throw new HookrunError("invalid_filter", `${name} must be a string of 1-256 characters.`);
  }
  const normalized: RunStoreQuery = { limit: paged ? limitOf((query as RunQuery).limit) : MAX_LIMIT };
  if (status !== undefined) normalized.status = status;
  if (webhookId !== undefined) normalized.webhookId = webhookId;
  if (deliveryId !== undefined) normalized.deliveryId = deliveryId;
  if (runId !== undefined) normalized.runId = runId;
  const since = time(query.since, "since");
  const until = time(query.until, "until");
  if (since !== undefined) normalized.since = since;
  if (until !== undefined) normalized.until = until;
  const cursor = paged ? (query as RunQuery).cursor : undefined;
  if (cursor !== undefined) {
    if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 512) throw new HookrunError("invalid_filter", "cursor must be the nextCursor of a previous page.");
    normalized.cursor = cursor;
  }
  return normalized;
}

function time(value: number | Date | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) throw new HookrunError("invalid_filter", `${name} must be epoch milliseconds or a Date.`);
  return Math.floor(ms);
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new HookrunError("invalid_filter", `limit must be an integer from 1 to ${MAX_LIMIT}.`);
  return limit;
}
