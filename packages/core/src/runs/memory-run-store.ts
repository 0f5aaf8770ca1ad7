import { z } from "zod";
import { parseOptions } from "../config";
import { HookrunError } from "../errors";
import { ByteRegions } from "../flat/byte-regions";
import { KeyRing } from "../flat/key-ring";
import { textOf } from "./recorder";
import { requestFromText, requestText, writeRequest } from "./request-text";
import { requestMetadata } from "./stored-headers";
import { DEFAULT_MAX_REFUSED, DEFAULT_MAX_RUN_AGE_MS, DEFAULT_MAX_RUN_BYTES, DEFAULT_MAX_RUNS } from "./options";
import { SeqList } from "../flat/seq-list";
import type { InboundHeaders } from "../types";
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

/** What {@link memoryRunStore} returns: a {@link RunStore} that tells its size. */
export interface MemoryRunStore extends RunStore {
  /** The store's estimate of the bytes its records hold. */
  readonly bytes: number;
  /** Runs held. */
  readonly size: number;
  /** @internal Where a write that failed while applied (after the call returned) is reported. */
  onWriteError: ((error: unknown) => void) | undefined;
}

// The stores memoryRunStore() made: only these get a request's headers unfiltered. perf: a
// WeakSet, not a flag on the store, so that a store wrapped around one (spread, or forwarding its
// writes) is not one of them and never sees a credential.
const rawHeaderStores = new WeakSet<RunStore>();

/** @internal Whether `store` is one that memoryRunStore() made, so it takes a {@link RawRunStart}. */
export function takesRawHeaders(store: RunStore): boolean {
  return rawHeaderStores.has(store);
}

/**
 * @internal What the recorder gives the in-memory store instead of `request`: the request's headers
 * as they came, filtered (credentials and signatures left out) and encoded straight into a segment
 * when the batch is applied, by the end of the turn, like the payload's bytes.
 */
export interface RawRunStart extends StoredRunStart {
  requestHeaders?: InboundHeaders;
  requestBytes?: number;
}

// What one run costs beyond its bytes (its slot in the typed arrays, its id string, its map and
// index entries): with this, the estimate follows the heap + array-buffer growth that `pnpm bench`
// (runs-list) measures.
const RECORD_BYTES = 600;
const ATTEMPT_BYTES = 160;
const LINE_BYTES = 48;
// Fields of a run's row in `nums`.
const RECEIVED_AT = 0;
const STARTED_AT = 1;
const FINISHED_AT = 2;
const FIRST_START = 3;
const FIRST_END = 4;
const FIRST_DURATION = 5;
const RUN_BYTES = 6;
const DELIVERY_ENTRY = 7;
const NUMS = 8;
// Fields of a run's row in `marks`.
const STATUS = 0;
const FLAGS = 1;
const ENVELOPE_OMITTED_AT = 2;
const RESULT_OMITTED_AT = 3;
const MARKS = 4;
/**
 * Bytes of one segment of payloads, metadata and results: a 64th of what the store may hold
 * (`maxBytes`), within [16 KiB, 512 KiB] (512 KiB by default); the store holds at most about two
 * segments more than its records. A region larger than a quarter segment gets a buffer of its own.
 * perf: by default payloads up to 128 KiB are copied into the (recycled) segments. Kept as buffers
 * of their own, 64 KiB payloads grew V8's external memory by 64 KiB a request, which triggered a
 * full GC every few hundred requests. 1 MiB segments made 1 MiB bodies slower (each body's
 * allocation became a fresh mapping from the kernel: ~330 page faults per request against ~75).
 */
const segmentBytesFor = (maxBytes: number) => Math.min(524_288, Math.max(16_384, 2 ** Math.floor(Math.log2(maxBytes / 64))));

/** An attempt kept as an object: any but a lone first attempt that logged nothing and did not fail. */
interface Attempt {
  attempt: number;
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  error?: RunAttemptRecord["error"];
  logs?: string[];
  logsDropped?: number;
}

/** What few runs have: more attempts, logs, errors, replays. */
interface Cold {
  attempts?: Attempt[];
  replays?: string[];
  replayOf?: string;
  replayReason?: string;
}

const STATUS_CODES: readonly RunStatus[] = ["queued", "running", "retrying", "succeeded", "failed"];
const CODE: Record<RunStatus, number> = { queued: 0, running: 1, retrying: 2, succeeded: 3, failed: 4 };
// A status never moves back: a late write (another process, a slow store) cannot undo a later one.
const RANK = [0, 1, 1, 2, 2];
const ENVELOPE_OMITTED = [undefined, "not_stored", "too_large"] as const;
const RESULT_OMITTED = [undefined, "too_large", "not_json"] as const;
const CREATED = 1;
const REDACTED = 2;
// The most runs left to index when something reads (a few ms of work).
const MAX_UNINDEXED = 8_192;
// Kinds of the write journal's entries.
const CREATED_OP = 0;
const STARTED_OP = 1;
const FINISHED_OP = 2;

/**
 * The in-memory run store: the default with `memoryRunner`. Records live in this process and are
 * lost with it. Bounded three ways, the oldest run dropped first: `maxRuns` (default 1,000),
 * `maxBytes` (default 32 MiB: the payloads, request metadata, results, logs and a fixed ~600 B per
 * run; the bytes sit in segments of up to 512 KiB, so the store holds at most about two segments
 * more) and `maxAgeMs` (default 7 days); and the last `maxRefused` refused requests (default
 * 1,000). Lists are served from sorted indexes (all runs, per status, per webhook, per webhook and
 * status, per delivery id), never by scanning.
 *
 * perf: records are flat: numbers in typed arrays, bytes in off-heap segments, objects only for
 * what few runs have (retries, logs, errors). A record costs the garbage collector almost nothing,
 * which is what lets run records stay on by default on the hot path. Writes are applied in a batch
 * once per event-loop turn, and before anything reads the store, so a read always sees every write
 * made before it.
 *
 * @example
 * ```ts
 * createInboundWebhooks({ webhooks, runs: { store: memoryRunStore({ maxRuns: 10_000, maxBytes: 256 * 1024 * 1024 }) } });
 * ```
 */
export function memoryRunStore(options: MemoryRunStoreOptions = {}): MemoryRunStore {
  const retention = parseOptions(optionsSchema, options, "memoryRunStore");
  const regions = new ByteRegions(segmentBytesFor(retention.maxBytes));
  const maxCapacity = 2 ** Math.ceil(Math.log2(retention.maxRuns));

  // Runs are numbered by arrival (seq); the live ones are always the contiguous range
  // [firstSeq, lastSeq], since only the oldest is ever dropped. Run `seq` lives in slot seq & mask.
  let capacity = Math.min(maxCapacity, 1_024);
  let mask = capacity - 1;
  let firstSeq = 1;
  let lastSeq = 0;
  let bytes = 0;

  // A run's numbers side by side in one row (NUMS of them), its small codes in another (MARKS).
  // perf: under load the HTTP stack evicts the store from the CPU caches between runs, so every
  // cache line a run touches is a miss; a column per field made that twelve lines per run (and as
  // many again for the oldest run, dropped), rows make it two or three.
  let nums = new Float64Array(capacity * NUMS);
  let marks = new Uint8Array(capacity * MARKS);
  // Addresses in `regions`: payload, request metadata, result (segment id -1: none).
  let addresses = new Int32Array(capacity * 9);
  // Run ids and delivery ids are sender-facing strings created per request: kept as bytes (see
  // KeyRing). A run's id entry follows from its seq (one entry per run, in seq order); its
  // delivery-id entry is in its row (DELIVERY_ENTRY, -1: no delivery id).
  let webhookIds: Array<string | undefined> = new Array(capacity);
  let agents: Array<string | undefined> = new Array(capacity);
  let cold: Array<Cold | undefined> = new Array(capacity);

  const ids = new KeyRing(retention.maxRuns);
  const deliveries = new KeyRing(retention.maxRuns);
  // Indexes are sorted by (receivedAt, seq): exact time bounds whatever order runs arrive in.
  const timeOf = (seq: number) => nums[(seq & mask) * NUMS + RECEIVED_AT]!;
  const all = new SeqList(timeOf);
  const byStatus = STATUS_CODES.map(() => new SeqList(timeOf));
  const byWebhook = new Map<string, SeqList>();
  const byWebhookStatus = new Map<string, SeqList[]>();
  // The indexes (the lists above, and the id and delivery-id tables of the KeyRings) hold the live
  // runs up to `indexedSeq`; later runs are indexed when something reads the store (see catchUp).
  // perf: at the default retention, under load, most runs are dropped before anyone lists them:
  // those never touch an index, neither added nor removed (four lists and two hash tables, a cache
  // miss each on a path the HTTP stack keeps evicting).
  let indexedSeq = 0;
  // Runs an attempt's write created before the run's own `created` came (a worker in this process
  // that got there first): the only runs a `created` can find already live. Usually empty.
  const orphans = new Map<string, number>();
  const refused: RefusedRequest[] = [];
  let refusedNext = 0;

  const PAYLOAD = 0;
  const METADATA = 3;
  const RESULT = 6;
  function store(seq: number, at: number, data: Uint8Array | string): number {
    regions.write(seq, data);
    return addressed(seq, at);
  }
  /**
   * A run's request metadata from its headers, encoded in place (or, when that fails, as an object
   * first). Headers that cannot be read (a hand-built request's, whose enumeration throws) are
   * reported and leave the run without metadata, never without the rest of its record.
   */
  function storeRequest(seq: number, headers: InboundHeaders, bytes: number): number {
    try {
      const buffer = regions.reserve();
      const end = writeRequest(buffer, regions.offset, buffer.byteLength, headers, bytes);
      if (end < 0) return store(seq, METADATA, requestText(requestMetadata(headers, bytes)));
      regions.commit(seq, end);
      return addressed(seq, METADATA);
    } catch (error) {
      onWriteError?.(error);
      return 0;
    }
  }
  /** Keeps the address of the region just written as the run's field `at`; returns its length. */
  function addressed(seq: number, at: number): number {
    const base = (seq & mask) * 9 + at;
    addresses[base] = regions.id;
    addresses[base + 1] = regions.offset;
    addresses[base + 2] = regions.length;
    return regions.length;
  }
  function textAt(seq: number, at: number): string | undefined {
    const base = (seq & mask) * 9 + at;
    return addresses[base]! < 0 ? undefined : regions.text(addresses[base]!, addresses[base + 1]!, addresses[base + 2]!);
  }

  /** Doubles every array, moving each live run to its slot under the new mask. */
  function grow(): void {
    const oldMask = mask;
    capacity *= 2;
    mask = capacity - 1;
    const move = <T extends { [index: number]: unknown }>(from: T, to: T, stride = 1): T => {
      for (let seq = firstSeq; seq <= lastSeq; seq++) {
        for (let field = 0; field < stride; field++) to[(seq & mask) * stride + field] = from[(seq & oldMask) * stride + field]!;
      }
      return to;
    };
    nums = move(nums, new Float64Array(capacity * NUMS), NUMS);
    marks = move(marks, new Uint8Array(capacity * MARKS), MARKS);
    addresses = move(addresses, new Int32Array(capacity * 9), 9);
    webhookIds = move(webhookIds, new Array<string | undefined>(capacity));
    agents = move(agents, new Array<string | undefined>(capacity));
    cold = move(cold, new Array<Cold | undefined>(capacity));
  }

  const live = (seq: number | undefined): seq is number => seq !== undefined && seq >= firstSeq && seq <= lastSeq;
  // perf: an attempt's start and end look the same run up back to back; remember the last one.
  let lastRunId: string | undefined;
  let lastRunSeq = 0;
  /** The live run with id `runId`. */
  function seqOf(runId: string): number | undefined {
    if (runId === lastRunId && live(lastRunSeq)) return lastRunSeq;
    const entry = ids.find(runId);
    if (entry < 0) return undefined;
    lastRunId = runId;
    return (lastRunSeq = ids.value(entry));
  }
  const runIdOf = (seq: number) => ids.key(seq - firstSeq + ids.first);
  const deliveryIdOf = (slot: number) => {
    const entry = nums[slot * NUMS + DELIVERY_ENTRY]!;
    return entry < 0 ? undefined : deliveries.key(entry);
  };

  function listOf(webhookId: string): SeqList {
    let list = byWebhook.get(webhookId);
    if (!list) byWebhook.set(webhookId, (list = new SeqList(timeOf)));
    return list;
  }
  function webhookStatusList(webhookId: string, code: number, create: boolean): SeqList | undefined {
    let lists = byWebhookStatus.get(webhookId);
    if (!lists) {
      if (!create) return undefined;
      byWebhookStatus.set(webhookId, (lists = STATUS_CODES.map(() => new SeqList(timeOf))));
    }
    return lists[code];
  }

  /** A new run, with status `code` (queued unless its attempt's start and end were folded in). */
  function add(seed: StoredRunStart, code = CODE.queued): number {
    if (lastSeq - firstSeq + 1 >= capacity) {
      if (capacity < maxCapacity) grow();
      else drop();
    }
    const seq = ++lastSeq;
    const slot = seq & mask;
    const row = slot * NUMS;
    const mark = slot * MARKS;
    nums[row + RECEIVED_AT] = seed.receivedAt;
    nums[row + STARTED_AT] = NaN;
    nums[row + FINISHED_AT] = NaN;
    nums[row + FIRST_START] = NaN;
    nums[row + FIRST_END] = NaN;
    nums[row + FIRST_DURATION] = NaN;
    nums[row + RUN_BYTES] = RECORD_BYTES;
    marks.fill(0, mark, mark + MARKS);
    marks[mark + STATUS] = code;
    addresses.fill(-1, slot * 9, slot * 9 + 9);
    ids.add(seed.runId, seq);
    nums[row + DELIVERY_ENTRY] = seed.deliveryId === undefined ? -1 : deliveries.add(seed.deliveryId, seq);
    webhookIds[slot] = seed.webhookId;
    agents[slot] = seed.agent;
    cold[slot] = seed.replayOf === undefined ? undefined : { replayOf: seed.replayOf };
    bytes += RECORD_BYTES;
    return seq;
  }

  /** Puts the runs not indexed yet in the indexes. */
  function catchUp(): void {
    ids.placeAll();
    deliveries.placeAll();
    for (let seq = Math.max(indexedSeq + 1, firstSeq); seq <= lastSeq; seq++) {
      const slot = seq & mask;
      const code = marks[slot * MARKS + STATUS]!;
      const webhookId = webhookIds[slot]!;
      all.add(seq);
      byStatus[code]!.add(seq);
      listOf(webhookId).add(seq);
      webhookStatusList(webhookId, code, true)!.add(seq);
    }
    indexedSeq = lastSeq;
  }

  /** A run that an attempt's write is the first to tell of. */
  function addOrphan(seed: StoredRunStart): number {
    const seq = add(seed);
    orphans.set(seed.runId, seq);
    return seq;
  }

  /** Drops the oldest run. */
  function drop(): void {
    const seq = firstSeq;
    const slot = seq & mask;
    const row = slot * NUMS;
    const mark = slot * MARKS;
    const webhookId = webhookIds[slot]!;
    const code = marks[mark + STATUS]!;
    // An orphan is a run no `created` has come for yet.
    if (orphans.size > 0 && (marks[mark + FLAGS]! & CREATED) === 0) orphans.delete(runIdOf(seq));
    // Entries were added in seq order: this run's are the oldest.
    ids.dropOldest();
    if (nums[row + DELIVERY_ENTRY]! >= 0) deliveries.dropOldest();
    if (seq <= indexedSeq) {
      all.remove(seq);
      byStatus[code]!.remove(seq);
      const hook = byWebhook.get(webhookId)!;
      hook.remove(seq);
      if (hook.size === 0) {
        byWebhook.delete(webhookId);
        byWebhookStatus.delete(webhookId);
      } else webhookStatusList(webhookId, code, false)?.remove(seq);
    }
    bytes -= nums[row + RUN_BYTES]!;
    // Let go of the strings and objects now, not when the slot is reused.
    webhookIds[slot] = agents[slot] = undefined;
    cold[slot] = undefined;
    firstSeq++;
  }

  /** Drops the oldest runs past any bound; `keep` (just written) survives a byte overflow of its own. */
  function enforce(now: number, keep?: number): void {
    const cutoff = now - retention.maxAgeMs;
    while (firstSeq <= lastSeq) {
      if (nums[(firstSeq & mask) * NUMS + RECEIVED_AT]! >= cutoff && lastSeq - firstSeq < retention.maxRuns && (bytes <= retention.maxBytes || firstSeq === keep)) break;
      drop();
    }
    regions.release(firstSeq);
  }

  function setStatus(seq: number, code: number): void {
    const slot = seq & mask;
    const mark = slot * MARKS;
    const was = marks[mark + STATUS]!;
    if (was === code) return;
    marks[mark + STATUS] = code;
    if (seq > indexedSeq) return;
    const webhookId = webhookIds[slot]!;
    byStatus[was]!.remove(seq);
    webhookStatusList(webhookId, was, false)?.remove(seq);
    byStatus[code]!.add(seq);
    webhookStatusList(webhookId, code, true)!.add(seq);
  }

  function addBytes(seq: number, delta: number): void {
    const at = (seq & mask) * NUMS + RUN_BYTES;
    nums[at] = nums[at]! + delta;
    bytes += delta;
  }

  function coldOf(seq: number): Cold {
    const slot = seq & mask;
    return (cold[slot] ??= {});
  }

  /** The lone plain first attempt kept in the typed arrays, as an object (none when it has not started). */
  function firstAttemptOf(slot: number): Attempt | undefined {
    const row = slot * NUMS;
    if (Number.isNaN(nums[row + FIRST_START]!)) return undefined;
    const first: Attempt = { attempt: 1, startedAt: nums[row + FIRST_START]! };
    if (!Number.isNaN(nums[row + FIRST_END]!)) {
      first.finishedAt = nums[row + FIRST_END]!;
      first.durationMs = nums[row + FIRST_DURATION]!;
    }
    return first;
  }

  /** The run's attempts as objects, from now on: the lone plain first attempt moves over. */
  function attemptsOf(seq: number): Attempt[] {
    const extra = coldOf(seq);
    if (extra.attempts) return extra.attempts;
    const first = firstAttemptOf(seq & mask);
    return (extra.attempts = first ? [first] : []);
  }

  function attemptOf(seq: number, number: number, at: number): Attempt {
    const attempts = attemptsOf(seq);
    let attempt = attempts.find((candidate) => candidate.attempt === number);
    if (!attempt) {
      attempt = { attempt: number, startedAt: at };
      attempts.push(attempt);
      if (attempts.length > 1 && attempts[attempts.length - 2]!.attempt > number) attempts.sort((a, b) => a.attempt - b.attempt);
      addBytes(seq, ATTEMPT_BYTES);
    }
    return attempt;
  }

  /** The lone first attempt, kept in the typed arrays, as long as nothing more is known of the run's attempts. */
  const plainFirst = (seq: number, number: number) => number === 1 && cold[seq & mask]?.attempts === undefined;

  function matches(seq: number, query: RunStoreQuery): boolean {
    const slot = seq & mask;
    const row = slot * NUMS;
    const mark = slot * MARKS;
    return (
      (query.status === undefined || marks[mark + STATUS] === CODE[query.status]) &&
      (query.webhookId === undefined || webhookIds[slot] === query.webhookId) &&
      (query.deliveryId === undefined || (nums[row + DELIVERY_ENTRY]! >= 0 && deliveries.keyIs(nums[row + DELIVERY_ENTRY]!, query.deliveryId))) &&
      (query.runId === undefined || runIdOf(seq) === query.runId) &&
      (query.since === undefined || nums[row + RECEIVED_AT]! >= query.since) &&
      (query.until === undefined || nums[row + RECEIVED_AT]! <= query.until)
    );
  }

  /** A query's time bounds and cursor. */
  function boundsOf(query: RunStoreQuery): { since: number; until: number; cursor: { time: number; seq: number } | undefined } {
    return { since: query.since ?? -Infinity, until: query.until ?? Infinity, cursor: query.cursor === undefined ? undefined : parseCursor(query.cursor) };
  }

  /** The index answering `query` alone, or the few runs of one run id or delivery id (`number[]`). */
  function candidates(query: RunStoreQuery): SeqList | number[] {
    if (query.runId !== undefined) {
      const seq = seqOf(query.runId);
      return live(seq) ? [seq] : [];
    }
    if (query.deliveryId !== undefined) return deliveries.findAll(query.deliveryId, []).map((entry) => deliveries.value(entry));
    if (query.status !== undefined) {
      const code = CODE[query.status];
      return (query.webhookId === undefined ? byStatus[code] : webhookStatusList(query.webhookId, code, false)) ?? [];
    }
    if (query.webhookId !== undefined) return byWebhook.get(query.webhookId) ?? [];
    return all;
  }

  /** Whether run `seq` sorts before the cursor's position. */
  const beforeCursor = (seq: number, cursor: { time: number; seq: number } | undefined) =>
    cursor === undefined || timeOf(seq) < cursor.time || (timeOf(seq) === cursor.time && seq < cursor.seq);
  /** Newest first by (receivedAt, seq). */
  const newestFirst = (a: number, b: number) => timeOf(b) - timeOf(a) || b - a;

  function toRecord(seq: number): RunRecord {
    const slot = seq & mask;
    const row = slot * NUMS;
    const mark = slot * MARKS;
    const webhookId = webhookIds[slot]!;
    const extra = cold[slot];
    const first = extra?.attempts ? undefined : firstAttemptOf(slot);
    const attempts = extra?.attempts ? extra.attempts.map(toAttempt) : first ? [toAttempt(first)] : [];
    const record: RunRecord = {
      runId: runIdOf(seq),
      webhookId,
      deliveryId: deliveryIdOf(slot),
      status: STATUS_CODES[marks[mark + STATUS]!]!,
      receivedAt: nums[row + RECEIVED_AT]!,
      attempts,
      replays: extra?.replays ? [...extra.replays] : [],
    };
    if (agents[slot] !== undefined) record.agent = agents[slot];
    if (!Number.isNaN(nums[row + STARTED_AT]!)) record.startedAt = nums[row + STARTED_AT]!;
    if (!Number.isNaN(nums[row + FINISHED_AT]!)) {
      record.finishedAt = nums[row + FINISHED_AT]!;
      record.durationMs = nums[row + FINISHED_AT]! - nums[row + RECEIVED_AT]!;
    }
    const result = textAt(seq, RESULT);
    if (result !== undefined) record.result = JSON.parse(result);
    if (marks[mark + RESULT_OMITTED_AT]) record.resultOmitted = RESULT_OMITTED[marks[mark + RESULT_OMITTED_AT]!];
    if (marks[mark + FLAGS]! & CREATED) {
      const payload = textAt(seq, PAYLOAD);
      if (payload !== undefined) record.envelope = { page: "inbound_webhook", inboundWebhookId: webhookId, payload: JSON.parse(textOf(payload)) };
      if (marks[mark + ENVELOPE_OMITTED_AT]) record.envelopeOmitted = ENVELOPE_OMITTED[marks[mark + ENVELOPE_OMITTED_AT]!];
      if (marks[mark + FLAGS]! & REDACTED) record.redacted = true;
      const metadata = textAt(seq, METADATA);
      if (metadata !== undefined) record.request = requestFromText(metadata);
    }
    if (extra?.replayOf !== undefined) record.replayOf = extra.replayOf;
    if (extra?.replayReason !== undefined) record.replayReason = extra.replayReason;
    return record;
  }

  /** A plain first attempt's end, the common case: it succeeded, logged nothing and threw nothing. */
  const plainSuccess = (end: StoredAttemptEnd) => end.attempt === 1 && end.status === "succeeded" && !end.error && end.logs.length === 0 && end.logsDropped === undefined;

  const book = {
    /**
     * A run was accepted; `startedAt` and `end`: its first attempt's start and end, when they came
     * in the same batch of writes (folded into one).
     */
    created(start: StoredRunStart, now: number, startedAt?: number, end?: StoredAttemptEnd): void {
      // perf: not a lookup in the ids' table, which would index every run: a run's `created` comes
      // once, and only an orphan can be live before it.
      const known = orphans.size === 0 ? undefined : orphans.get(start.runId);
      if (startedAt !== undefined && (live(known) || (end !== undefined && !plainSuccess(end)))) {
        // Anything but the common case: the writes one after the other, as they came.
        book.created(start, now);
        book.attemptStarted(start, 1, startedAt);
        if (end !== undefined) book.attemptFinished(start, end, now);
        return;
      }
      if (known !== undefined) orphans.delete(start.runId);
      // A worker may have got there first (another process's store): its status and attempts stay.
      // perf: a run whose attempt started (and ended) in the same batch is written straight in its
      // final status: no moves from queued to running to succeeded.
      const seq = live(known) ? known : add(start, startedAt === undefined ? CODE.queued : end === undefined ? CODE.running : CODE.succeeded);
      const slot = seq & mask;
      const mark = slot * MARKS;
      let added = 0;
      if (start.payloadJson !== undefined) added += store(seq, PAYLOAD, start.payloadJson);
      // perf: the metadata is one short text in the segment, not an object graph on the heap.
      const { requestHeaders } = start as RawRunStart;
      if (requestHeaders !== undefined) added += storeRequest(seq, requestHeaders, (start as RawRunStart).requestBytes!);
      else if (start.request) added += store(seq, METADATA, requestText(start.request));
      marks[mark + FLAGS] = CREATED | (start.redacted ? REDACTED : 0);
      marks[mark + ENVELOPE_OMITTED_AT] = start.envelopeOmitted === undefined ? 0 : ENVELOPE_OMITTED.indexOf(start.envelopeOmitted);
      if (start.replayOf !== undefined) coldOf(seq).replayOf = start.replayOf;
      if (start.replayReason !== undefined) {
        coldOf(seq).replayReason = start.replayReason;
        added += start.replayReason.length;
      }
      if (startedAt !== undefined) {
        const row = slot * NUMS;
        nums[row + FIRST_START] = nums[row + STARTED_AT] = startedAt;
        if (end !== undefined) {
          nums[row + FIRST_END] = nums[row + FINISHED_AT] = end.finishedAt;
          nums[row + FIRST_DURATION] = end.durationMs;
          if (end.resultJson !== undefined) added += store(seq, RESULT, end.resultJson);
          if (end.resultOmitted !== undefined) marks[mark + RESULT_OMITTED_AT] = RESULT_OMITTED.indexOf(end.resultOmitted);
        }
      }
      addBytes(seq, added);
      enforce(now, seq);
    },
    attemptStarted(seed: StoredRunStart, number: number, at: number): void {
      const known = seqOf(seed.runId);
      const seq = live(known) ? known : addOrphan(seed);
      const slot = seq & mask;
      const row = slot * NUMS;
      const mark = slot * MARKS;
      if (plainFirst(seq, number)) nums[row + FIRST_START] = at;
      else attemptOf(seq, number, at).startedAt = at;
      if (Number.isNaN(nums[row + STARTED_AT]!)) nums[row + STARTED_AT] = at;
      if (RANK[marks[mark + STATUS]!]! <= RANK[CODE.running]!) setStatus(seq, CODE.running);
    },
    attemptFinished(seed: StoredRunStart, end: StoredAttemptEnd, now: number): void {
      const known = seqOf(seed.runId);
      const seq = live(known) ? known : addOrphan(seed);
      const slot = seq & mask;
      const row = slot * NUMS;
      const mark = slot * MARKS;
      if (plainFirst(seq, end.attempt) && !end.error && end.logs.length === 0 && end.logsDropped === undefined) {
        if (Number.isNaN(nums[row + FIRST_START]!)) nums[row + FIRST_START] = end.startedAt;
        nums[row + FIRST_END] = end.finishedAt;
        nums[row + FIRST_DURATION] = end.durationMs;
      } else {
        const attempt = attemptOf(seq, end.attempt, end.startedAt);
        attempt.finishedAt = end.finishedAt;
        attempt.durationMs = end.durationMs;
        if (end.error) attempt.error = end.error;
        if (end.logs.length > 0) {
          attempt.logs = end.logs;
          let added = 0;
          for (const line of end.logs) added += LINE_BYTES + line.length;
          addBytes(seq, added);
        }
        if (end.logsDropped !== undefined) attempt.logsDropped = end.logsDropped;
      }
      if (end.resultJson !== undefined) addBytes(seq, store(seq, RESULT, end.resultJson));
      if (end.resultOmitted !== undefined) marks[mark + RESULT_OMITTED_AT] = RESULT_OMITTED.indexOf(end.resultOmitted);
      if (Number.isNaN(nums[row + STARTED_AT]!)) nums[row + STARTED_AT] = end.startedAt;
      if (end.status !== "retrying") nums[row + FINISHED_AT] = end.finishedAt;
      const code = CODE[end.status];
      if (RANK[marks[mark + STATUS]!]! <= RANK[code]!) setStatus(seq, code);
      if (bytes > retention.maxBytes) enforce(now, seq);
    },
  };

  // Writes wait here, four slots each (kind and arguments), and are applied in one batch per
  // event-loop turn, or before anything reads the store. perf: applied one by one on the request
  // path, each write ran with the store's lines evicted from the CPU caches by the HTTP stack; in a
  // batch they stay warm, and a run accepted, started and finished in the same turn (an agent that
  // returns at once) is written once, straight into its final status. 1 KB over HTTP at a fixed
  // 8,000 req/s: records cost ~2.9 µs per request applied one by one, ~0.6 µs batched.
  let journal: unknown[] = [];
  // The batch being applied swaps with this one: a write (or a read) from inside a batch, e.g. from
  // the `onWriteError` logger, goes to the next batch instead of re-applying this one.
  let applying: unknown[] = [];
  // The last entry when it is a run's `created` that its first attempt's start and end may fold into.
  let foldable = -1;
  // Earlier `created` entries of this batch still waiting for their first attempt's start or end,
  // by run id: runs that start a turn after they were accepted (a Fetch server writes the 202
  // later, so the runner waits for setImmediate) come as every run's `created`, then every run's
  // start and end. perf: only entries that stop being the last one are put here, so runs that
  // start in the turn they were accepted (node:http) never touch the map.
  const waiting = new Map<string, number>();
  let flushScheduled = false;
  let onWriteError: ((error: unknown) => void) | undefined;

  function later(kind: number, a: unknown, b: unknown, c: unknown): void {
    journal.push(kind, a, b, c);
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flush);
  }

  /**
   * Where in this batch `runId`'s `created` waits for its first attempt's start or end, or -1; it
   * becomes `foldable` (the next write's first guess).
   */
  function foldingInto(runId: string): number {
    if (foldable >= 0 && (journal[foldable + 1] as StoredRunStart).runId === runId) return foldable;
    if (waiting.size === 0) return -1;
    const at = waiting.get(runId);
    if (at === undefined) return -1;
    park(runId);
    waiting.delete(runId);
    return (foldable = at);
  }

  /** `foldable`, unless it is a record of `runId`, waits in `waiting` while another entry is the last. */
  function park(runId: string): void {
    if (foldable < 0) return;
    const previous = (journal[foldable + 1] as StoredRunStart).runId;
    if (previous !== runId) waiting.set(previous, foldable);
  }

  function flush(): void {
    flushScheduled = false;
    foldable = -1;
    if (waiting.size > 0) waiting.clear();
    if (journal.length === 0) return;
    const entries = journal;
    journal = applying;
    applying = entries;
    const now = Date.now();
    for (let at = 0; at < entries.length; at += 4) {
      try {
        const kind = entries[at];
        if (kind === CREATED_OP) book.created(entries[at + 1] as StoredRunStart, now, entries[at + 2] as number | undefined, entries[at + 3] as StoredAttemptEnd | undefined);
        else if (kind === STARTED_OP) book.attemptStarted(entries[at + 1] as StoredRunStart, entries[at + 2] as number, entries[at + 3] as number);
        else book.attemptFinished(entries[at + 1] as StoredRunStart, entries[at + 2] as StoredAttemptEnd, now);
      } catch (error) {
        // A write that fails (a bug) is reported; the rest of the batch still applies.
        onWriteError?.(error);
      }
    }
    // Let go of the payloads and headers the entries held.
    entries.length = 0;
    // A store kept larger than the default indexes as it goes, so that no read has more than this
    // many runs to index first.
    if (lastSeq - Math.max(indexedSeq, firstSeq - 1) > MAX_UNINDEXED) catchUp();
  }

  const memory: MemoryRunStore = {
    name: "memory",
    get bytes() {
      flush();
      return bytes;
    },
    get size() {
      flush();
      return lastSeq - firstSeq + 1;
    },
    set onWriteError(handler: ((error: unknown) => void) | undefined) {
      onWriteError = handler;
    },
    created(start) {
      // A second record of the same run in one batch (another process's store got there first):
      // what comes next folds into this one, never into the one before.
      if (waiting.size > 0) waiting.delete(start.runId);
      park(start.runId);
      foldable = journal.length;
      later(CREATED_OP, start, undefined, undefined);
    },
    attemptStarted(seed, number, at) {
      const into = foldingInto(seed.runId);
      if (into >= 0) {
        if (number === 1 && journal[into + 2] === undefined) {
          journal[into + 2] = at;
          return;
        }
        // A write that does not fold: nothing after it may fold in before it.
        foldable = -1;
      }
      later(STARTED_OP, seed, number, at);
    },
    attemptFinished(seed, end) {
      const into = foldingInto(seed.runId);
      // Folded or not, nothing more folds into this run's record in this batch.
      if (into >= 0) foldable = -1;
      if (into >= 0 && end.attempt === 1 && journal[into + 2] !== undefined) {
        journal[into + 3] = end;
        return;
      }
      later(FINISHED_OP, seed, end, undefined);
    },
    replayed(runId, replayRunId) {
      flush();
      const seq = seqOf(runId);
      if (!live(seq)) return;
      (coldOf(seq).replays ??= []).push(replayRunId);
      addBytes(seq, 48 + replayRunId.length);
    },
    refused(entry) {
      if (retention.maxRefused === 0) return;
      // A ring: the oldest entry is overwritten once `maxRefused` are held.
      if (refused.length < retention.maxRefused) refused.push(entry);
      else refused[refusedNext] = entry;
      refusedNext = (refusedNext + 1) % retention.maxRefused;
    },
    async get(runId) {
      flush();
      enforce(Date.now());
      const seq = seqOf(runId);
      return live(seq) ? toRecord(seq) : undefined;
    },
    async list(query) {
      flush();
      enforce(Date.now());
      catchUp();
      const { since, until, cursor } = boundsOf(query);
      const source = candidates(query);
      let seqs: number[] = [];
      let more = false;
      if (Array.isArray(source)) {
        const found = source.filter((seq) => live(seq) && matches(seq, query) && beforeCursor(seq, cursor)).sort(newestFirst);
        more = found.length > query.limit;
        seqs = found.slice(0, query.limit);
      } else {
        // The index answers status/webhook, its order the time bounds and the cursor: nothing else is left to check.
        more = source.page(since, until, cursor, query.limit, seqs);
      }
      const runs = seqs.map(toRecord);
      const last = seqs[seqs.length - 1];
      return more && last !== undefined ? { runs, nextCursor: `${timeOf(last)}.${last}` } : { runs };
    },
    async count(query) {
      flush();
      enforce(Date.now());
      catchUp();
      const { since, until } = boundsOf(query);
      const source = candidates(query);
      if (Array.isArray(source)) return source.filter((seq) => live(seq) && matches(seq, query)).length;
      return source.countBetween(since, until);
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
  rawHeaderStores.add(memory);
  return memory;
}

/** The position a cursor this store gave out names (`<receivedAt>.<seq>`). */
function parseCursor(cursor: string): { time: number; seq: number } {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(cursor);
  if (!match) throw new HookrunError("invalid_filter", "The cursor is not one this store gave out.");
  return { time: Number(match[1]), seq: Number(match[2]) };
}

function toAttempt(attempt: Attempt): RunAttemptRecord {
  const record: RunAttemptRecord = { attempt: attempt.attempt, startedAt: attempt.startedAt, logs: attempt.logs ? attempt.logs.map((line) => JSON.parse(line)) : [] };
  if (attempt.finishedAt !== undefined) record.finishedAt = attempt.finishedAt;
  if (attempt.durationMs !== undefined) record.durationMs = attempt.durationMs;
  if (attempt.error) record.error = { ...attempt.error };
  if (attempt.logsDropped !== undefined) record.logsDropped = attempt.logsDropped;
  return record;
}
