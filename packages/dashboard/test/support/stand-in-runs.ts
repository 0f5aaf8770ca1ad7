// TEMPORARY: a stand-in for core's `hooks.runs` until the run records land on main; replaced by
// real hooks then. Only the dashboard's own behaviour is asserted against it.
import { randomUUID } from "node:crypto";
import type { InboundWebhooks } from "@hookrun/core";
import type { RunRecordLike, RunsApi, RunsQuery, RefusedEntry } from "../../src/runs-api";

export interface StandInRuns extends RunsApi {
  records: RunRecordLike[];
  refusedEntries: RefusedEntry[];
  add(record: Partial<RunRecordLike> & { webhookId: string }): RunRecordLike;
}

export function standInRuns(): StandInRuns {
  const records: RunRecordLike[] = [];
  const refusedEntries: RefusedEntry[] = [];
  const matches = (run: RunRecordLike, q: RunsQuery) =>
    (!q.status || run.status === q.status) &&
    (!q.webhookId || run.webhookId === q.webhookId) &&
    (!q.deliveryId || run.deliveryId === q.deliveryId) &&
    (q.since === undefined || Number(new Date(run.receivedAt)) >= q.since) &&
    (q.until === undefined || Number(new Date(run.receivedAt)) <= q.until);
  const api: StandInRuns = {
    records,
    refusedEntries,
    add(partial) {
      const record: RunRecordLike = { runId: randomUUID(), status: "succeeded", receivedAt: new Date().toISOString(), attempts: [], replays: [], ...partial };
      records.unshift(record);
      return record;
    },
    async list(q) {
      const all = records.filter((run) => matches(run, q));
      const start = q.cursor ? Number(q.cursor) : 0;
      const limit = q.limit ?? 50;
      const page = all.slice(start, start + limit);
      return { runs: page, ...(start + limit < all.length ? { nextCursor: String(start + limit) } : {}) };
    },
    async get(runId) {
      return records.find((run) => run.runId === runId);
    },
    async replay(runId, options) {
      const original = records.find((run) => run.runId === runId)!;
      const copy = api.add({ webhookId: original.webhookId, envelope: original.envelope, status: "queued", replayOf: runId, reason: options?.reason });
      original.replays.push(copy.runId);
      return { runId: copy.runId };
    },
    async replayMany(filter, options) {
      const all = records.filter((run) => matches(run, filter));
      if (options?.dryRun) return { dryRun: true, matched: all.length, replays: [], skipped: [] };
      const replays = [];
      for (const run of all) replays.push({ runId: (await api.replay(run.runId)).runId, replayOf: run.runId });
      return { dryRun: false, matched: all.length, replays, skipped: [] };
    },
    async refused(q) {
      return refusedEntries.slice(0, q?.limit ?? 100);
    },
  };
  return api;
}

/** Real hooks (their `handleInboundWebhook` is not used here) carrying the stand-in runs. */
export function hooksWith(runs: RunsApi, hooks: InboundWebhooks): InboundWebhooks {
  return Object.assign(Object.create(hooks) as InboundWebhooks, { runs });
}
