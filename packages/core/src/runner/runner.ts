import type { RunRecorder } from "../runs/recorder";
import type { RunRetention, RunStore } from "../runs/types";
import type { AttemptTelemetry } from "../telemetry/telemetry";
import type { Agent, Envelope, HookrunEvent, InboundRequest, Logger } from "../types";

/**
 * An accepted job. Data only (no functions), so a durable runner can serialize it and a worker in
 * another process can run it: the agent is looked up there by `webhookId`.
 */
export interface RunnerJob {
  runId: string;
  webhookId: string;
  envelope: Envelope;
  deliveryId: string | undefined;
  /** Epoch milliseconds at which the request was accepted. */
  receivedAt: number;
  /**
   * For a fan-out webhook (`agents`), which of its agents this run is for; `undefined` for a
   * webhook with one `agent`. Part of the idempotency key: each agent's run is deduplicated alone.
   */
  agent?: string;
  /**
   * Set for a replay (`hooks.runs.replay`): the run it re-runs. A replay is never deduplicated by
   * its delivery id; the agent sees it as `ctx.replayOf`.
   */
  replayOf?: string;
  /**
   * The enqueuing span's trace context as W3C Trace Context headers (`traceparent`, `tracestate`),
   * set when telemetry records traces; a durable runner stores it with the job so the attempt's
   * CONSUMER span, in whichever process, is the PRODUCER span's child.
   */
  trace?: Readonly<Record<string, string>>;
}

/** Runs waiting (queued or awaiting a retry) and running, for the `hookrun.queue.depth` gauge. */
export interface QueueDepth {
  waiting: number;
  running: number;
}

/** What a runner answers once it holds a job. */
export interface EnqueueReceipt {
  /** The run the `202` names: the first run's id when the delivery was seen before. */
  runId: string;
  /** `true` when this delivery id was already accepted within the idempotency window: no new run. */
  replayed: boolean;
}

/**
 * Where this process sits: `ingress` serves HTTP and enqueues, `worker` runs agents and serves no
 * HTTP, `both` (the default) does both.
 */
export type RunnerRole = "ingress" | "worker" | "both";

/** What hookrun gives a runner when it starts: how to find agents, where to log and report. */
export interface RunnerHost {
  /** The agent for a job, or `undefined` when none is configured; a promise when the look-up is async. */
  resolveAgent(webhookId: string, agent?: string): Agent | undefined | Promise<Agent | undefined>;
  logger: Logger;
  emit(event: HookrunEvent): void;
  /** Whether this process enqueues, runs, or both. A runner only consumes jobs for `worker`/`both`. */
  role: RunnerRole;
  /** Where attempts are recorded; `executeRun` and `reportFailure` use it. Absent: nothing is recorded. */
  runs?: RunRecorder;
  /** Set when telemetry records: the attempts' CONSUMER spans and durations ({@link executeRun} uses it). */
  telemetry?: AttemptTelemetry;
}

/** What the HTTP side hands a runner with a job, besides the job's data. */
export interface EnqueueOptions {
  /**
   * The request's keep-alive hook ({@link InboundRequest.waitUntil}). An in-process runner calls it
   * once per accepted (not replayed) run with a promise settled when the run ends.
   */
  waitUntil?: (work: Promise<unknown>) => void;
  /**
   * `true` when the `202` for this job is written before the current synchronous call returns
   * (`@hookrun/core/node` writes it to the `ServerResponse` at once): an in-process runner may
   * then start the run in a microtask instead of on a later event-loop turn, and the response
   * still never waits for the agent.
   */
  answeredInTurn?: boolean;
}

/** A runner's own view of its backend, for readiness probes (`hooks.health()`). */
export interface RunnerHealth {
  /** `false` when the runner cannot take jobs now (its backend unreachable, closing). */
  ok: boolean;
  /** Why it is not ok, or what it is: a message, never a credential. */
  detail?: string;
}

/** A job that failed its last attempt, kept for inspection. */
export interface DeadLetter {
  runId: string;
  webhookId: string;
  deliveryId: string | undefined;
  /** Epoch milliseconds at which the request was accepted. */
  receivedAt: number;
  /** Epoch milliseconds of the last failure. */
  failedAt: number;
  /** Attempts made, the last one included. */
  attempts: number;
  /** The last attempt's error message. */
  error: string;
  envelope: Envelope;
}

/**
 * Runs accepted jobs off the request path. The HTTP side only calls `enqueue`, and answers `202`
 * only once it has resolved. A runner refuses with a `HookrunError` (`queue_full`,
 * `shutting_down`, `invalid_payload`) when it cannot take a job.
 */
export interface Runner {
  readonly name: string;
  /** The roles this runner can play. An in-process runner can only be `both`. */
  readonly roles: readonly RunnerRole[];
  /** For telemetry's messaging attributes: `messaging.system` and `messaging.destination.name`. Default: the runner's name for both. */
  readonly messaging?: { readonly system: string; readonly destination: string };
  /** Called once by `createInboundWebhooks`. */
  start(host: RunnerHost): void;
  enqueue(job: RunnerJob, options?: EnqueueOptions): Promise<EnqueueReceipt>;
  /**
   * `enqueue` for a runner that holds its jobs in this process: the receipt at once, or a thrown
   * `HookrunError`. When a runner has it, the pipeline answers in the turn the body ends, with no
   * promise in between; a runner that must wait for something (Redis) leaves it out.
   */
  enqueueNow?(job: RunnerJob, options?: EnqueueOptions): EnqueueReceipt;
  /** Most recent dead letters first, at most `limit` (default 100). */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Runs waiting and running now (for a shared backend such as Redis, across every process). */
  depth?(): QueueDepth | Promise<QueueDepth>;
  /**
   * Whether the runner's backend answers, for `hooks.health()`; without it the runner counts as ok.
   * Must answer quickly: `hooks.health()` gives up after 1 s and reports the runner not ok.
   */
  health?(): RunnerHealth | Promise<RunnerHealth>;
  /** Stop taking jobs, let the started ones finish, then resolve; after `timeoutMs`, abort what is left. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * The run store this runner's deployment shares (e.g. Redis for `bullmqRunner`), used when
   * `runs.store` is not given; without it, records are kept in this process's memory.
   */
  createRunStore?(retention: RunRetention): RunStore;
  /** The envelope of a job the runner still holds, for replaying a run whose stored payload is redacted or absent. */
  envelopeOf?(runId: string): Promise<Envelope | undefined>;
}
