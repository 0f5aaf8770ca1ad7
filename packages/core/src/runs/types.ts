import type { HookrunErrorCode } from "../errors";
import type { Envelope } from "../types";

/**
 * Where a run is: `queued` (accepted, waiting for a slot), `running` (an attempt is under way),
 * `retrying` (an attempt failed, another one is scheduled), then `succeeded` or `failed` (the last
 * attempt failed: the run is dead-lettered).
 */
export type RunStatus = "queued" | "running" | "retrying" | "succeeded" | "failed";

/** The statuses, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = ["queued", "running", "retrying", "succeeded", "failed"];

/**
 * One line the agent wrote through `ctx.logger` during an attempt. `fields` is a JSON copy taken
 * when the line was written (an `Error` becomes `{ name, message, stack }`); fields too large to keep
 * are replaced by `{ "truncated": true, "bytes": N }`.
 */
export interface RunLogLine {
  /** Epoch milliseconds. */
  time: number;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  fields: Record<string, unknown>;
}

/** One attempt of a run. Times are epoch milliseconds. */
export interface RunAttemptRecord {
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: number;
  /** Set once the attempt ended, whatever the outcome. */
  finishedAt?: number;
  durationMs?: number;
  /** Why the attempt failed (a throw, a rejection, a timeout). Absent for a successful attempt. */
  error?: { name?: string; message: string; stack?: string };
  /** The lines the agent logged during this attempt, oldest first, at most `runs.maxLogLines`. */
  logs: RunLogLine[];
  /** Lines logged beyond `runs.maxLogLines` and not kept. Absent when none were dropped. */
  logsDropped?: number;
}

/**
 * What a person may want to know about the request that started a run, with nothing secret:
 * credential and signature headers (`authorization`, `cookie`, `*signature*`, `*token*`,
 * `x-api-key`, ...) are never stored; other header values are capped in length.
 */
export interface RunRequestMetadata {
  /** Lower-case header names; a header sent several times is joined with `", "`. */
  headers: Record<string, string>;
  contentType?: string;
  /** Body size in bytes as received (before any `Content-Encoding` was decoded). */
  bytes: number;
}

/**
 * Everything hookrun keeps about one run. All times are **epoch milliseconds** (numbers, as in
 * `DeadLetter`); `new Date(record.receivedAt)` when you need a `Date`.
 */
export interface RunRecord {
  runId: string;
  webhookId: string;
  /** The agent's name for a fan-out webhook (`agents`); absent for a webhook with one `agent`. */
  agent?: string;
  /** The sender's delivery id, when it sent one. */
  deliveryId: string | undefined;
  status: RunStatus;
  /** When the request was accepted (for a replay: when the replay was asked for). */
  receivedAt: number;
  /** When the first attempt started. */
  startedAt?: number;
  /** When the run reached `succeeded` or `failed`. */
  finishedAt?: number;
  /** `finishedAt - receivedAt`: the whole run, waiting and retries included. */
  durationMs?: number;
  /** Every attempt, oldest first. */
  attempts: RunAttemptRecord[];
  /**
   * The agent's return value, as JSON (`undefined` values and functions dropped, as `JSON.stringify`
   * does). Absent when the agent returned nothing, or see `resultOmitted`.
   */
  result?: unknown;
  /** Why `result` is absent although the agent returned something: larger than `runs.maxResultBytes`, or not JSON-serializable. */
  resultOmitted?: "too_large" | "not_json";
  /** The envelope the agent received, after `runs.redact`. Absent when `envelopeOmitted` says why. */
  envelope?: Envelope;
  /** Why `envelope` is absent: `storePayload: false`, or larger than `runs.maxPayloadBytes`. */
  envelopeOmitted?: "not_stored" | "too_large";
  /** `true` when `runs.redact` was applied to the stored envelope (it is not the payload as sent). */
  redacted?: boolean;
  /** Redacted metadata about the HTTP request (absent for a replay). */
  request?: RunRequestMetadata;
  /** For a replay: the run it re-ran. */
  replayOf?: string;
  /** For a replay: the `reason` given to `replay()`. */
  replayReason?: string;
  /** The runs replayed from this one, oldest first. */
  replays: string[];
}

/**
 * A request hookrun refused (`401`, `413`, `400`, ...). Metadata only: never a body, a credential
 * or a signature.
 */
export interface RefusedRequest {
  /** Epoch milliseconds. */
  time: number;
  /** The webhook id as sent in the URL, at most 128 characters (it may not exist). */
  webhookId: string;
  status: number;
  code: HookrunErrorCode;
  /**
   * The server-side reason: `unknown_webhook` or `bad_credentials` (both answered the same `401`),
   * otherwise the `code` (`payload_too_large`, `invalid_json`, ...).
   */
  reason: string;
  /** The declared `Content-Length`, when the request had a sane one. */
  bytes?: number;
}

/** Which runs: every given field must match. Times are epoch milliseconds or `Date`s. */
export interface RunFilter {
  status?: RunStatus;
  webhookId?: string;
  deliveryId?: string;
  runId?: string;
  /** Only runs received at or after this time. */
  since?: number | Date;
  /** Only runs received at or before this time. */
  until?: number | Date;
}

/** A page request of `hooks.runs.list`. */
export interface RunQuery extends RunFilter {
  /** The `nextCursor` of the previous page. */
  cursor?: string;
  /** Runs per page, 1-500. Default `50`. */
  limit?: number;
}

/** One page of runs, newest (by `receivedAt`) first. */
export interface RunPage {
  runs: RunRecord[];
  /** Pass it as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** What `replayMany` did (or, with `dryRun`, would do). */
export interface ReplayManyResult {
  dryRun: boolean;
  /** Runs matching the filter. */
  matched: number;
  /** The replays started: each new run and the run it replays. Empty for a dry run. */
  replays: Array<{ runId: string; replayOf: string }>;
  /** Matching runs that could not be replayed, and why. */
  skipped: Array<{ runId: string; reason: string }>;
}

/**
 * `hooks.runs`: the runs this hookrun (and, with a shared store such as BullMQ's Redis, every
 * process of the deployment) has recorded.
 */
export interface RunsApi {
  /** Runs matching `query`, newest first, a page at a time. */
  list(query?: RunQuery): Promise<RunPage>;
  /**
   * How many runs match `filter` (the fields of `list` but `cursor` and `limit`), answered by the
   * store's indexes rather than by reading the runs. An empty filter counts every kept run. A bad
   * field throws a `HookrunError` `invalid_filter` (400), as `list` does.
   *
   * @example
   * ```ts
   * const failedToday = await hooks.runs.count({ webhookId: "alerts", status: "failed", since: Date.now() - 86_400_000 });
   * ```
   */
  count(filter?: RunFilter): Promise<number>;
  /** One run, or `undefined` when it is unknown (never recorded, or past retention). */
  get(runId: string): Promise<RunRecord | undefined>;
  /**
   * Runs the run's agent again with the same envelope, as a new run (new `runId`, `replayOf` set,
   * `ctx.replayOf` for the agent); delivery-id deduplication does not apply to it. Throws a
   * `HookrunError` `run_not_found` (404) or `replay_unavailable` (409, e.g. the payload was not
   * stored and the runner no longer has it).
   */
  replay(runId: string, options?: { reason?: string }): Promise<{ runId: string }>;
  /**
   * Replays every run matching `filter` (at most `max`, default 1000). An empty filter is refused
   * (`HookrunError` `invalid_filter`, 400). `dryRun: true` only counts.
   */
  replayMany(filter: RunFilter, options?: { dryRun?: boolean; reason?: string; max?: number }): Promise<ReplayManyResult>;
  /** Recent refused requests, newest first. */
  refused(query?: { since?: number | Date; limit?: number }): Promise<RefusedRequest[]>;
}

/** A normalized {@link RunQuery} as a {@link RunStore} receives it: times as epoch ms, `limit` set. */
export interface RunStoreQuery {
  status?: RunStatus;
  webhookId?: string;
  deliveryId?: string;
  runId?: string;
  since?: number;
  until?: number;
  cursor?: string;
  limit: number;
}

/**
 * What a run looks like to a store when it is accepted. The envelope travels as JSON text
 * (`envelopeJson`), redacted already, so a store never serializes a payload.
 */
export interface StoredRunStart {
  runId: string;
  webhookId: string;
  agent?: string;
  deliveryId: string | undefined;
  receivedAt: number;
  /**
   * JSON of the (redacted) envelope's payload, as UTF-8 bytes or text; absent with `envelopeOmitted`.
   * Bytes may be a view into a larger buffer (the socket's read): a store that keeps them past the
   * call copies them (the in-memory store copies them into its segments when it applies its batch of
   * writes, by the end of the event-loop turn; the Redis store sends them).
   */
  payloadJson?: Uint8Array | string;
  envelopeOmitted?: "not_stored" | "too_large";
  redacted?: boolean;
  request?: RunRequestMetadata;
  replayOf?: string;
  replayReason?: string;
}

/** The end of an attempt as a store receives it; logs and result already JSON. */
export interface StoredAttemptEnd {
  attempt: number;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  /** What the run is now: `succeeded`, `retrying` (another attempt comes) or `failed`. */
  status: "succeeded" | "retrying" | "failed";
  error?: { name?: string; message: string; stack?: string };
  /** Each line as JSON text of a {@link RunLogLine}. */
  logs: string[];
  logsDropped?: number;
  /** JSON text of the result (succeeded runs). */
  resultJson?: string;
  resultOmitted?: "too_large" | "not_json";
}

/**
 * Where run records live. Both runners write through it: `memoryRunStore` (the default with
 * `memoryRunner`), the Redis store of `@hookrun/bullmq` (the default with `bullmqRunner`), or your
 * own. Writes may arrive out of order across processes (a worker may start a run before the
 * ingress recorded it as accepted): a store merges them, never letting an earlier status overwrite
 * a later one. Write methods may return a promise; hookrun does not wait for it on the request
 * path and logs a rejection.
 */
export interface RunStore {
  readonly name: string;
  /** A run was accepted (`queued`): once per run, perhaps after its attempts' writes. */
  created(run: StoredRunStart): void | Promise<void>;
  /** An attempt started: the run is `running`. `seed` lets a store create a record it has not seen yet. */
  attemptStarted(seed: StoredRunStart, attempt: number, startedAt: number): void | Promise<void>;
  /** An attempt ended. */
  attemptFinished(seed: StoredRunStart, end: StoredAttemptEnd): void | Promise<void>;
  /** `replayRunId` was replayed from `runId`. */
  replayed(runId: string, replayRunId: string): void | Promise<void>;
  /** A request was refused. */
  refused(entry: RefusedRequest): void | Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
  list(query: RunStoreQuery): Promise<RunPage>;
  /** How many runs match (cursor and limit ignored). */
  count(query: RunStoreQuery): Promise<number>;
  listRefused(query: { since?: number; limit: number }): Promise<RefusedRequest[]>;
  /** Releases connections; called by `hooks.close()`. */
  close?(): Promise<void>;
}

/** Retention of a run store: whichever bound is reached first drops the oldest runs. */
export interface RunRetention {
  /** Runs kept at most. */
  maxRuns: number;
  /** Runs older than this (by `receivedAt`) are dropped, in ms. */
  maxAgeMs: number;
  /** Estimated bytes of all kept records at most (the in-memory store; Redis ignores it). */
  maxBytes: number;
  /** Refused requests kept at most. */
  maxRefused: number;
}

/**
 * Redacts a payload before it is stored. It gets a fresh copy (mutate it freely) and returns the
 * payload to store; returning `undefined` stores the (mutated) copy.
 */
export type RedactFunction = (payload: unknown, context: { webhookId: string }) => unknown;

/** Payload paths (`"customer.email"`, `"cards.*.number"`) and/or functions, applied in order. */
export type RunRedaction = RedactFunction | ReadonlyArray<string | RedactFunction>;

/** Options of `createInboundWebhooks({ runs })`. `runs: false` records nothing. */
export interface RunsOptions {
  /**
   * Where records live. Default: the runner's store (Redis for `bullmqRunner`), else an
   * in-memory store (`memoryRunStore`) bounded by `maxRuns`, `maxBytes` and `maxAgeMs`.
   */
  store?: RunStore;
  /** Runs kept at most; the oldest is dropped first. Default `1_000`. */
  maxRuns?: number;
  /** In-memory store: estimated bytes of records kept at most. Default `33_554_432` (32 MiB). */
  maxBytes?: number;
  /** Runs older than this are dropped, in ms. Default `604_800_000` (7 days). */
  maxAgeMs?: number;
  /** Refused requests kept at most. Default `1_000`. */
  maxRefused?: number;
  /**
   * Redaction at write time, before anything is stored. Paths into the payload (dots between keys,
   * `*` for any key or array index: `["customer.email", "card.*"]`): each value found is replaced by
   * `"[redacted]"`. And/or functions ({@link RedactFunction}) given a copy of the payload, returning
   * what to store. Default: nothing redacted. Credential and signature headers are never stored,
   * whatever this says.
   */
  redact?: RunRedaction;
  /** `false` keeps metadata only (no envelope). Default `true`. */
  storePayload?: boolean;
  /** Larger (redacted) payloads are not stored (`envelopeOmitted: "too_large"`), in bytes of JSON. Default `1_048_576` (1 MiB). */
  maxPayloadBytes?: number;
  /** Larger results are not stored (`resultOmitted: "too_large"`), in bytes of JSON. Default `262_144` (256 KiB). */
  maxResultBytes?: number;
  /** Log lines kept per attempt; later ones are counted in `logsDropped`. Default `200`. */
  maxLogLines?: number;
}
