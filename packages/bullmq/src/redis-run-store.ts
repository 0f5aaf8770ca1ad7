import {
  HookrunError,
  type RefusedRequest,
  type RunAttemptRecord,
  type RunPage,
  type RunRecord,
  type RunRetention,
  type RunStatus,
  type RunStore,
  type RunStoreQuery,
  type StoredRunStart,
} from "@hookrun/core";
import type { RedisClient } from "bullmq";

// Index members sort as strings: the receive time, zero-padded, then the run id. Every index is a
// sorted set with score 0, read with ZREVRANGEBYLEX: newest first, a page from any cursor in
// O(log n + page), and no ties (the run id breaks them).
const TIME_DIGITS = 15;
const MEMBER = /^\d{15}:[A-Za-z0-9-]{1,128}$/;
const pad = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(TIME_DIGITS, "0");

// Shared by the write scripts: create a record a write finds missing, move a run between status
// indexes (never back: a late write cannot undo a later one), drop the oldest runs.
const LIB = `
local P = ARGV[1]
local runKey = KEYS[1]
local RANK = { queued = 0, running = 1, retrying = 1, succeeded = 2, failed = 2 }
local function statusKeys(webhookId, status)
  return P .. 'i:s:' .. status, P .. 'i:ws:' .. webhookId .. ':' .. status
end
local function ensure(runId, webhookId, member, deliveryId, meta)
  if redis.call('EXISTS', runKey) == 1 then return false end
  redis.call('HSET', runKey, 'w', webhookId, 'k', member, 's', 'queued', 'm', meta, 'd', deliveryId)
  redis.call('ZADD', P .. 'i:all', 0, member)
  redis.call('ZADD', P .. 'i:w:' .. webhookId, 0, member)
  local s, ws = statusKeys(webhookId, 'queued')
  redis.call('ZADD', s, 0, member)
  redis.call('ZADD', ws, 0, member)
  if deliveryId ~= '' then redis.call('ZADD', P .. 'i:d:' .. deliveryId, 0, member) end
  return true
end
local function setStatus(status)
  local fields = redis.call('HMGET', runKey, 's', 'w', 'k')
  local old = fields[1]
  if old == status or RANK[old] > RANK[status] then return end
  local os, ows = statusKeys(fields[2], old)
  redis.call('ZREM', os, fields[3])
  redis.call('ZREM', ows, fields[3])
  local ns, nws = statusKeys(fields[2], status)
  redis.call('ZADD', ns, 0, fields[3])
  redis.call('ZADD', nws, 0, fields[3])
  redis.call('HSET', runKey, 's', status)
end
local function drop(member)
  local key = P .. 'r:' .. string.sub(member, ${TIME_DIGITS + 2})
  local fields = redis.call('HMGET', key, 'w', 's', 'd')
  redis.call('ZREM', P .. 'i:all', member)
  if fields[1] and fields[2] then
    redis.call('ZREM', P .. 'i:w:' .. fields[1], member)
    local s, ws = statusKeys(fields[1], fields[2])
    redis.call('ZREM', s, member)
    redis.call('ZREM', ws, member)
    if fields[3] and fields[3] ~= '' then redis.call('ZREM', P .. 'i:d:' .. fields[3], member) end
  end
  redis.call('DEL', key)
end
-- A bounded amount of work per write: retention catches up over a few writes, never in one long script.
local function trim(maxRuns, cutoff)
  for _ = 1, 100 do
    local oldest = redis.call('ZRANGE', P .. 'i:all', 0, 0)[1]
    if not oldest then return end
    if redis.call('ZCARD', P .. 'i:all') <= maxRuns and oldest >= cutoff then return end
    drop(oldest)
  end
end
`;

// ARGV: P, runId, webhookId, member, deliveryId, seed meta, then the op's own arguments.
const CREATED = `${LIB}
if not ensure(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) then redis.call('HSET', runKey, 'm', ARGV[6]) end
if ARGV[7] == '1' then redis.call('HSET', runKey, 'p', ARGV[8]) end
trim(tonumber(ARGV[9]), ARGV[10])`;

const STARTED = `${LIB}
ensure(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
redis.call('HSETNX', runKey, 'a:' .. ARGV[7], ARGV[8])
redis.call('HSETNX', runKey, 'sa', ARGV[9])
setStatus('running')`;

const FINISHED = `${LIB}
ensure(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
redis.call('HSET', runKey, 'a:' .. ARGV[7], ARGV[8])
redis.call('HSETNX', runKey, 'sa', ARGV[9])
local status = ARGV[10]
if status ~= 'retrying' then redis.call('HSET', runKey, 'fa', ARGV[11]) end
if ARGV[12] ~= '' then redis.call('HSET', runKey, 'res', ARGV[12]) end
if ARGV[13] ~= '' then redis.call('HSET', runKey, 'ro', ARGV[13]) end
setStatus(status)`;

const REPLAYED = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'rp:' .. ARGV[1], ARGV[2]) end`;

const REFUSED = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)`;

// KEYS[1]: an index. ARGV: store prefix, max, min, limit. A page of members and each run's hash,
// in one round trip.
const PAGE = `
local members = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local runs = {}
for i, member in ipairs(members) do
  runs[i] = redis.call('HGETALL', ARGV[1] .. 'r:' .. string.sub(member, ${TIME_DIGITS + 2}))
end
return { members, runs }`;

const COMMANDS = {
  hookrunRunCreated: CREATED,
  hookrunRunStarted: STARTED,
  hookrunRunFinished: FINISHED,
  hookrunRunReplayed: REPLAYED,
  hookrunRunRefused: REFUSED,
  hookrunRunPage: PAGE,
  hookrunRunCount: "return redis.call('ZLEXCOUNT', KEYS[1], ARGV[1], ARGV[2])",
} as const;
const defined = new WeakSet<object>();

/**
 * The run store of `bullmqRunner`: records in Redis next to the queue, so the ingress and every
 * worker see the same runs. One hash per run; sorted-set indexes (all runs, per status, per
 * webhook, per webhook and status, per delivery id) make a page O(log n + page size) whatever is
 * stored; each write is one Lua script (atomic, one round trip) that also applies retention
 * (`maxRuns`, `maxAgeMs`; `maxBytes` is the in-memory store's). Refused requests: a capped list.
 * @internal
 */
export function redisRunStore(client: () => Promise<RedisClient>, prefix: () => string, retention: RunRetention): RunStore {
  async function ready(): Promise<RedisClient> {
    const redis = await client();
    if (!defined.has(redis)) {
      for (const [name, lua] of Object.entries(COMMANDS)) {
        redis.defineCommand(name, { numberOfKeys: 1, lua, readOnly: name === "hookrunRunPage" || name === "hookrunRunCount" });
      }
      defined.add(redis);
    }
    return redis;
  }
  const runKey = (runId: string) => `${prefix()}r:${runId}`;

  /** The arguments every write script starts with: enough to create the record if it is missing. */
  function seedArgs(seed: StoredRunStart, meta: string): unknown[] {
    return [runKey(seed.runId), prefix(), seed.runId, seed.webhookId, `${pad(seed.receivedAt)}:${seed.runId}`, seed.deliveryId ?? "", meta];
  }

  async function run(name: keyof typeof COMMANDS, args: unknown[]): Promise<unknown> {
    return (await ready()).runCommand(name, args);
  }

  function indexOf(query: RunStoreQuery): string {
    const base = `${prefix()}i:`;
    if (query.deliveryId !== undefined) return `${base}d:${query.deliveryId}`;
    if (query.status !== undefined) return query.webhookId === undefined ? `${base}s:${query.status}` : `${base}ws:${query.webhookId}:${query.status}`;
    if (query.webhookId !== undefined) return `${base}w:${query.webhookId}`;
    return `${base}all`;
  }

  /** Lex bounds of a query: `until`/cursor above, `since` (and the retention cutoff) below. */
  function bounds(query: RunStoreQuery): { max: string; min: string } {
    let max = query.until === undefined ? "+" : `[${pad(query.until)}:~`;
    if (query.cursor !== undefined) {
      if (!MEMBER.test(query.cursor)) throw new HookrunError("invalid_filter", "The cursor is not one this store gave out.");
      if (max === "+" || query.cursor < max.slice(1)) max = `(${query.cursor}`;
    }
    const since = Math.max(query.since ?? 0, Date.now() - retention.maxAgeMs);
    return { max, min: `[${pad(since)}` };
  }

  // Index filters are exact; a delivery id or run id query may carry other filters to check here.
  const matches = (record: RunRecord, query: RunStoreQuery) =>
    (query.status === undefined || record.status === query.status) &&
    (query.webhookId === undefined || record.webhookId === query.webhookId) &&
    (query.runId === undefined || record.runId === query.runId);

  async function page(query: RunStoreQuery, limit: number): Promise<{ members: string[]; records: RunRecord[] }> {
    const { max, min } = bounds(query);
    const [members, hashes] = (await run("hookrunRunPage", [indexOf(query), prefix(), max, min, limit])) as [string[], string[][]];
    const records: RunRecord[] = [];
    const kept: string[] = [];
    members.forEach((member, index) => {
      const record = toRecord(hashes[index]!);
      // A member whose hash is gone (dropped by retention a moment ago) is skipped.
      if (record) {
        records.push(record);
        kept.push(member);
      }
    });
    return { members: kept, records };
  }

  return {
    name: "redis",
    created(start) {
      const payload = start.payloadJson;
      return run("hookrunRunCreated", [
        ...seedArgs(start, metaOf(start)),
        payload === undefined ? "0" : "1",
        payload === undefined ? "" : typeof payload === "string" ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        retention.maxRuns,
        pad(Date.now() - retention.maxAgeMs),
      ]).then(ignore);
    },
    attemptStarted(seed, attempt, startedAt) {
      return run("hookrunRunStarted", [...seedArgs(seed, metaOf(seed)), attempt, JSON.stringify({ attempt, startedAt }), startedAt]).then(ignore);
    },
    attemptFinished(seed, end) {
      const attempt: Record<string, unknown> = { attempt: end.attempt, startedAt: end.startedAt, finishedAt: end.finishedAt, durationMs: end.durationMs };
      if (end.error) attempt.error = end.error;
      if (end.logsDropped !== undefined) attempt.logsDropped = end.logsDropped;
      // Log lines are JSON already: spliced in, not parsed and serialized again.
      const attemptJson = `${JSON.stringify(attempt).slice(0, -1)},"logs":[${end.logs.join(",")}]}`;
      return run("hookrunRunFinished", [
        ...seedArgs(seed, metaOf(seed)),
        end.attempt,
        attemptJson,
        end.startedAt,
        end.status,
        end.finishedAt,
        end.resultJson ?? "",
        end.resultOmitted ?? "",
      ]).then(ignore);
    },
    replayed(runId, replayRunId) {
      return run("hookrunRunReplayed", [runKey(runId), replayRunId, Date.now()]).then(ignore);
    },
    refused(entry) {
      if (retention.maxRefused === 0) return;
      return run("hookrunRunRefused", [`${prefix()}refused`, JSON.stringify(entry), retention.maxRefused]).then(ignore);
    },
    async get(runId) {
      const record = toRecord(await (await ready()).hgetall(runKey(runId)));
      return record && record.receivedAt >= Date.now() - retention.maxAgeMs ? record : undefined;
    },
    async list(query) {
      if (query.runId !== undefined) {
        const record = await this.get(query.runId);
        const fits =
          record && matches(record, query) && (query.deliveryId === undefined || record.deliveryId === query.deliveryId) && (query.since === undefined || record.receivedAt >= query.since) && (query.until === undefined || record.receivedAt <= query.until);
        return { runs: fits ? [record] : [] };
      }
      if (query.deliveryId !== undefined && (query.status !== undefined || query.webhookId !== undefined)) {
        // A delivery id names a handful of runs: read them all, then filter.
        const { records } = await page({ ...query, cursor: undefined, limit: 1_000 } as RunStoreQuery, 1_000);
        const cursorAt = query.cursor === undefined ? undefined : query.cursor;
        const fitting = records.filter((record) => matches(record, query) && (cursorAt === undefined || `${pad(record.receivedAt)}:${record.runId}` < cursorAt));
        const runs = fitting.slice(0, query.limit);
        const last = runs[runs.length - 1];
        return fitting.length > query.limit && last ? { runs, nextCursor: `${pad(last.receivedAt)}:${last.runId}` } : { runs };
      }
      const { members, records } = await page(query, query.limit + 1);
      if (records.length <= query.limit) return { runs: records };
      return { runs: records.slice(0, query.limit), nextCursor: members[query.limit - 1]! };
    },
    async count(query) {
      if (query.runId !== undefined || (query.deliveryId !== undefined && (query.status !== undefined || query.webhookId !== undefined))) {
        let total = 0;
        let cursor: string | undefined;
        do {
          const found: RunPage = await this.list({ ...query, limit: 500, ...(cursor === undefined ? {} : { cursor }) });
          total += found.runs.length;
          cursor = found.nextCursor;
        } while (cursor !== undefined);
        return total;
      }
      const { max, min } = bounds({ ...query, cursor: undefined } as RunStoreQuery);
      return Number(await run("hookrunRunCount", [indexOf(query), min, max]));
    },
    async listRefused({ since, limit }) {
      const lines = await (await ready()).lrange(`${prefix()}refused`, 0, limit - 1);
      const entries: RefusedRequest[] = [];
      for (const line of lines) {
        const entry = JSON.parse(line) as RefusedRequest;
        if (since !== undefined && entry.time < since) break;
        entries.push(entry);
      }
      return entries;
    },
  };
}

function ignore(): void {}

/** The record's fixed part, as JSON: what was accepted (the seed of a write that found no record has less). */
function metaOf(start: StoredRunStart): string {
  const meta: Record<string, unknown> = { runId: start.runId, webhookId: start.webhookId, receivedAt: start.receivedAt };
  if (start.agent !== undefined) meta.agent = start.agent;
  if (start.deliveryId !== undefined) meta.deliveryId = start.deliveryId;
  if (start.envelopeOmitted !== undefined) meta.envelopeOmitted = start.envelopeOmitted;
  if (start.redacted) meta.redacted = true;
  if (start.request) meta.request = start.request;
  if (start.replayOf !== undefined) meta.replayOf = start.replayOf;
  if (start.replayReason !== undefined) meta.replayReason = start.replayReason;
  return JSON.stringify(meta);
}

/** A run's hash (HGETALL: a flat array from Lua, an object from the client) as a {@link RunRecord}. */
function toRecord(hash: string[] | Record<string, string> | null): RunRecord | undefined {
  const fields: Record<string, string> = Array.isArray(hash) ? pairs(hash) : (hash ?? {});
  if (fields.m === undefined) return undefined;
  const meta = JSON.parse(fields.m) as Record<string, unknown> & { runId: string; webhookId: string; receivedAt: number };
  const attempts: RunAttemptRecord[] = [];
  const replays: Array<[number, string]> = [];
  for (const name in fields) {
    if (name.startsWith("a:")) {
      const attempt = JSON.parse(fields[name]!) as RunAttemptRecord;
      attempt.logs ??= [];
      attempts.push(attempt);
    } else if (name.startsWith("rp:")) replays.push([Number(fields[name]), name.slice(3)]);
  }
  attempts.sort((a, b) => a.attempt - b.attempt);
  const record: RunRecord = {
    runId: meta.runId,
    webhookId: meta.webhookId,
    deliveryId: meta.deliveryId as string | undefined,
    status: fields.s as RunStatus,
    receivedAt: meta.receivedAt,
    attempts,
    replays: replays.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)).map(([, id]) => id),
  };
  if (meta.agent !== undefined) record.agent = meta.agent as string;
  if (fields.sa !== undefined) record.startedAt = Number(fields.sa);
  if (fields.fa !== undefined) {
    record.finishedAt = Number(fields.fa);
    record.durationMs = record.finishedAt - record.receivedAt;
  }
  if (fields.res !== undefined) record.result = JSON.parse(fields.res);
  if (fields.ro !== undefined) record.resultOmitted = fields.ro as RunRecord["resultOmitted"];
  if (fields.p !== undefined) {
    const text = fields.p.charCodeAt(0) === 0xfeff ? fields.p.slice(1) : fields.p;
    record.envelope = { page: "inbound_webhook", inboundWebhookId: meta.webhookId, payload: JSON.parse(text) };
  }
  for (const key of ["envelopeOmitted", "redacted", "request", "replayOf", "replayReason"] as const) {
    if (meta[key] !== undefined) (record as unknown as Record<string, unknown>)[key] = meta[key];
  }
  return record;
}

function pairs(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}
