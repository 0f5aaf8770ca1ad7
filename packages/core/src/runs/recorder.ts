import { Buffer } from "node:buffer";
import type { HookrunError } from "../errors";
import { getHeader } from "../http/headers";
import { describeError } from "../logger";
import type { RunnerJob } from "../runner/runner";
import type { InboundHeaders, Logger } from "../types";
import type { ParsedRunsOptions } from "./options";
import { jsonOf, logLineJson, storedError } from "./record-json";
import { compileRedaction, type Redactor } from "./redact";
import { takesRawHeaders, type MemoryRunStore, type RawRunStart } from "./memory-run-store";
import { requestMetadata } from "./stored-headers";
import type { RunStore, StoredAttemptEnd, StoredRunStart } from "./types";

/** The log levels an agent's `ctx.logger` has. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * How a runner records what its attempts do (`RunnerHost.runs`). A runner calls `attemptStarted`
 * when an attempt's agent starts and reports the outcome on the handle; `reportFailure` and
 * `executeRun` already do, so a runner built on them needs nothing more.
 */
export interface RunRecorder {
  /** The agent of attempt `attempt` is starting: the run is `running`. */
  attemptStarted(job: RunnerJob, attempt: number): AttemptRecorder;
  /** An attempt failed that had no handle (dropped on close, a job whose worker died...). */
  attemptFailed(job: RunnerJob, attempt: number, error: unknown, retrying: boolean): void;
}

/** One attempt's record: the agent's log lines, then its outcome (once). */
export interface AttemptRecorder {
  log(level: LogLevel, fields: unknown, message: unknown): void;
  succeeded(result: unknown): void;
  failed(error: unknown, retrying: boolean): void;
}

/** What the pipeline and `hooks.runs` record. */
export interface RunsRecorder extends RunRecorder {
  readonly store: RunStore | undefined;
  /**
   * A run was accepted. `body` is the decoded body when it is the payload as the agent gets it (no
   * schema): stored by reference, never copied or serialized. Without it the payload is serialized.
   */
  accepted(job: RunnerJob, headers: InboundHeaders | undefined, body: Uint8Array | undefined, rawBytes: number, replayReason?: string): void;
  /** A request was refused with `error`; `reason` is the server-side reason. */
  refused(webhookId: string, error: HookrunError, reason: string, headers: InboundHeaders | undefined): void;
  /** A write to the store failed (logged, never thrown). */
  write(result: void | Promise<void>): void;
}

// perf: an attempt that logged nothing shares one empty list (the store copies none of it).
const NO_LINES: string[] = [];
const NOOP_ATTEMPT: AttemptRecorder = { log() {}, succeeded() {}, failed() {} };
const DECIMAL = /^[0-9]{1,16}$/;

/** Records nothing: `runs: false`. */
export const noRuns: RunsRecorder = {
  store: undefined,
  attemptStarted: () => NOOP_ATTEMPT,
  attemptFailed() {},
  accepted() {},
  refused() {},
  write() {},
};

/** The recorder of {@link RunsOptions}: redaction, caps and metadata, then the store. */
export function createRunsRecorder(options: ParsedRunsOptions, store: RunStore, logger: Logger): RunsRecorder {
  const redactor = compileRedaction(options.redact);
  const { storePayload, maxPayloadBytes, maxResultBytes, maxLogLines } = options;

  // A store outage (Redis down) fails every write: one line when it starts, one when writes work again.
  let failed = 0;
  const onWritten = () => {
    if (failed === 0) return;
    logger.info({ store: store.name, failedWrites: failed }, "run records are written again");
    failed = 0;
  };
  const onWriteError = (error: unknown) => {
    if (failed++ === 0) logger.warn({ store: store.name, err: describeError(error) }, "run records cannot be written; further failures are not logged until a write succeeds");
  };
  // A store that applies writes later (the in-memory store, once per turn) reports failures here.
  if ("onWriteError" in store) (store as MemoryRunStore).onWriteError = onWriteError;
  const rawHeaders = takesRawHeaders(store);
  function write(result: void | Promise<void>): void {
    // perf: a store answering synchronously (memory) costs no promise.
    if (result !== undefined && typeof (result as Promise<void>).then === "function") (result as Promise<void>).then(onWritten, onWriteError);
  }

  /** Sets the run's payload (or why it is not stored) on `start`. perf: no object of its own, no spread. */
  function setPayload(start: StoredRunStart, job: RunnerJob, body: Uint8Array | undefined): void {
    if (!storePayload) {
      start.envelopeOmitted = "not_stored";
      return;
    }
    if (redactor) {
      // The only copy made: a fresh parse (or serialization) that the redaction may change freely.
      const copy: unknown = JSON.parse(body ? textOf(body) : (jsonOf(job.envelope.payload) as string));
      const json = jsonOf(redactor(copy, job.webhookId));
      start.redacted = true;
      if (json === undefined || json === "not_json") start.envelopeOmitted = "not_stored";
      else if (json.length > maxPayloadBytes) start.envelopeOmitted = "too_large";
      else start.payloadJson = json;
      return;
    }
    if (body) {
      if (body.byteLength > maxPayloadBytes) start.envelopeOmitted = "too_large";
      else start.payloadJson = body;
      return;
    }
    const json = jsonOf(job.envelope.payload);
    if (json === undefined || json === "not_json") start.envelopeOmitted = "not_stored";
    else if (json.length > maxPayloadBytes) start.envelopeOmitted = "too_large";
    else start.payloadJson = json;
  }

  class Attempt implements AttemptRecorder {
    private lines: string[] | undefined;
    private dropped = 0;
    private done = false;
    readonly startedAt = Date.now();
    readonly seed: StoredRunStart;

    constructor(
      job: RunnerJob,
      private readonly attempt: number,
    ) {
      this.seed = seedOf(job);
    }

    log(level: LogLevel, fields: unknown, message: unknown): void {
      if (this.done) return;
      const lines = (this.lines ??= []);
      if (lines.length >= maxLogLines) this.dropped++;
      else lines.push(logLineJson(level, fields, message, Date.now()));
    }

    succeeded(result: unknown): void {
      if (this.done) return;
      this.done = true;
      const end = this.end("succeeded");
      if (result !== undefined) {
        const json = jsonOf(result);
        if (json === "not_json") end.resultOmitted = "not_json";
        else if (json !== undefined && json.length > maxResultBytes) end.resultOmitted = "too_large";
        else if (json !== undefined) end.resultJson = json;
      }
      write(store.attemptFinished(this.seed, end));
    }

    failed(error: unknown, retrying: boolean): void {
      if (this.done) return;
      this.done = true;
      const end = this.end(retrying ? "retrying" : "failed");
      end.error = storedError(error);
      write(store.attemptFinished(this.seed, end));
    }

    private end(status: StoredAttemptEnd["status"]): StoredAttemptEnd {
      const finishedAt = Date.now();
      const end: StoredAttemptEnd = { attempt: this.attempt, startedAt: this.startedAt, finishedAt, durationMs: finishedAt - this.startedAt, status, logs: this.lines ?? NO_LINES };
      if (this.dropped > 0) end.logsDropped = this.dropped;
      return end;
    }
  }

  return {
    store,
    write,
    accepted(job, headers, body, rawBytes, replayReason) {
      // perf: the store gets the job's own fields and, without redaction, the body by reference.
      const start: StoredRunStart = { runId: job.runId, webhookId: job.webhookId, deliveryId: job.deliveryId, receivedAt: job.receivedAt };
      setPayload(start, job, body);
      if (job.agent !== undefined) start.agent = job.agent;
      if (headers && rawHeaders) {
        // perf: the in-memory store encodes the kept headers straight into its segment.
        (start as RawRunStart).requestHeaders = headers;
        (start as RawRunStart).requestBytes = rawBytes;
      } else if (headers) start.request = requestMetadata(headers, rawBytes);
      if (job.replayOf !== undefined) start.replayOf = job.replayOf;
      if (replayReason !== undefined) start.replayReason = replayReason.slice(0, 1_000);
      write(store.created(start));
    },
    refused(webhookId, error, reason, headers) {
      const declared = headers && getHeader(headers, "content-length");
      const entry = { time: Date.now(), webhookId, status: error.status, code: error.code, reason };
      write(store.refused(declared !== undefined && DECIMAL.test(declared) ? { ...entry, bytes: Number(declared) } : entry));
    },
    attemptStarted(job, attempt) {
      const handle = new Attempt(job, attempt);
      write(store.attemptStarted(handle.seed, attempt, handle.startedAt));
      return handle;
    },
    attemptFailed(job, attempt, error, retrying) {
      const now = Date.now();
      const end: StoredAttemptEnd = { attempt, startedAt: now, finishedAt: now, durationMs: 0, status: retrying ? "retrying" : "failed", logs: [], error: storedError(error) };
      write(store.attemptFinished(seedOf(job), end));
    },
  };
}

/** The job's identity, for a store that has to create the record: never its envelope. */
function seedOf(job: RunnerJob): StoredRunStart {
  const seed: StoredRunStart = { runId: job.runId, webhookId: job.webhookId, deliveryId: job.deliveryId, receivedAt: job.receivedAt };
  if (job.agent !== undefined) seed.agent = job.agent;
  if (job.replayOf !== undefined) seed.replayOf = job.replayOf;
  return seed;
}

/** UTF-8 text of a body, without a leading BOM (which JSON.parse refuses). */
export function textOf(bytes: Uint8Array | string): string {
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
