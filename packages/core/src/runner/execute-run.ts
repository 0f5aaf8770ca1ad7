import { performance } from "node:perf_hooks";
import { memoryEffectStore, type EffectStore } from "../effects/effect-store";
import { noEvents } from "../events/no-events";
import { childLogger, describeError, noLog } from "../logger";
import type { DeadlineEntry, Deadlines } from "../timers/deadlines";
import type { AttemptRecorder } from "../runs/recorder";
import { recordingLogger } from "../runs/recording-logger";
import type { AttemptTrace } from "../telemetry/telemetry";
import type { Agent, AgentContext, AgentEvent, Logger } from "../types";
import type { RunnerHost, RunnerJob } from "./runner";

/** One attempt of a job, as a runner hands it to {@link executeRun}. */
export interface RunAttempt {
  job: RunnerJob;
  /** 1 for the first attempt. */
  attempt: number;
  /** The attempt fails (and `ctx.signal` aborts) after this many milliseconds. */
  timeoutMs: number;
  /** Aborts the run from outside (shutdown, a cancelled job). */
  signal?: AbortSignal;
  /** The runner's effect store (`ctx.effects`); without one, a store in this process's memory. */
  effects?: EffectStore;
}

/** Thrown (as the attempt's failure) when an agent outlives its `timeoutMs`. */
export class RunTimeoutError extends Error {
  override readonly name = "RunTimeoutError";
  constructor(timeoutMs: number) {
    super(`the agent did not finish within ${timeoutMs} ms`);
  }
}

/**
 * Runs one attempt: resolves the agent by webhook id, emits `run.started`, runs it with a context
 * whose `signal` aborts on timeout or on `signal`, and emits `run.succeeded`. A failure (throw,
 * rejection, timeout, unknown webhook) rejects, so the runner decides between retrying and
 * dead-lettering; report it with {@link reportFailure}. An agent that ignores its aborted signal is
 * left behind, never awaited, so a hanging agent cannot hold a slot past its timeout.
 */
export function executeRun(host: RunnerHost, { job, attempt, timeoutMs, signal, effects }: RunAttempt): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => run.abort(signal!.reason);
    const run = new Attempt(host, job, attempt, timeoutMs, (failure) => {
      signal?.removeEventListener("abort", onAbort);
      if (failure === undefined) resolve();
      else reject(failure);
    }, undefined, effects);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    run.start();
  });
}

/**
 * One attempt, driven by callbacks: what {@link executeRun} does, for runners on the hot path.
 * `done` is called once, with `undefined` on success or an {@link AttemptFailure}, and the attempt.
 * perf: no async functions, no `Promise.race`, no per-run abort listener (the owner calls `abort`)
 * and, given shared {@link Deadlines}, no timer of its own; the agent is called in the same turn
 * when the host resolves it synchronously; the run's AbortSignal, child logger and `receivedAt`
 * Date are made only if the agent reads them.
 * @internal
 */
export class Attempt implements DeadlineEntry {
  private settled = false;
  private started = false;
  private aborted = false;
  private reason: unknown;
  /** @internal This attempt's run record, from the agent's start on. */
  record: AttemptRecorder | undefined;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private trace: AttemptTrace | undefined;
  private startedAt = 0;
  /** @internal {@link Deadlines} bookkeeping. */
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineAt = 0;
  /** @internal Where this attempt sits in its runner's list of running attempts (-1: not running). */
  runningAt = -1;

  constructor(
    private readonly host: RunnerHost,
    readonly job: RunnerJob,
    readonly attempt: number,
    private readonly timeoutMs: number,
    private readonly done: (failure: AttemptFailure | undefined, attempt: Attempt) => void,
    private readonly deadlines?: Deadlines,
    /** @internal `ctx.effects`. */
    readonly effects: EffectStore = processEffects(),
  ) {}

  start(): void {
    // perf: undefined unless telemetry records; one branch per attempt otherwise.
    this.trace = this.host.telemetry?.startAttempt(this.job, this.attempt);
    this.startedAt = performance.now();
    let resolving: Agent | undefined | Promise<Agent | undefined>;
    try {
      resolving = this.host.resolveAgent(this.job.webhookId, this.job.agent);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (isThenable(resolving)) {
      resolving.then(
        (agent) => this.run(agent),
        (error: unknown) => this.fail(error),
      );
    } else {
      this.run(resolving);
    }
  }

  /** Aborts the run's signal and fails the attempt (once the agent was started) with `reason`. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    if (this.started) this.failSoon(reason instanceof Error ? reason : new Error("the run was aborted"));
  }

  private run(agent: Agent | undefined): void {
    const { host, job, attempt } = this;
    const { runId, webhookId } = job;
    try {
      if (!agent) throw new Error(`no agent ${job.agent === undefined ? "" : `"${job.agent}" `}is configured for webhook "${webhookId}"`);
      if (host.emit !== noEvents) host.emit({ type: "run.started", webhookId, runId, attempt });
      if (host.logger.debug !== noLog) host.logger.debug({ runId, webhookId, attempt }, "run started");
      this.started = true;
      if (host.runs) this.record = host.runs.attemptStarted(job, attempt);
      if (this.aborted) {
        // Aborted while the agent was being resolved: it still starts, with an aborted signal, and
        // the attempt fails with the abort's reason whatever the agent does.
        try {
          void Promise.resolve(agent(job.envelope, new RunContext(this, host))).catch(ignore);
        } catch {
          // The abort's reason is the failure.
        }
        this.failSoon(this.reason instanceof Error ? this.reason : new Error("the run was aborted"));
        return;
      }
      if (this.deadlines) this.deadlines.add(this);
      else this.timer = setTimeout(onTimeout, this.timeoutMs, this);
      const ctx = new RunContext(this, host);
      const result = this.trace === undefined ? agent(job.envelope, ctx) : this.trace.call(agent, job.envelope, ctx);
      if (isThenable(result)) {
        result.then(
          (value) => this.succeed(value),
          (error: unknown) => this.fail(error),
        );
      } else {
        this.succeed(result);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** @internal The attempt outlived its `timeoutMs` (its {@link Deadlines} entry expired). */
  expired(): void {
    this.abort(new RunTimeoutError(this.timeoutMs));
  }

  /** @internal ctx.signal: made on first read, already aborted if the run was. */
  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  private stopClock(): void {
    if (this.deadlines) this.deadlines.remove(this);
    else clearTimeout(this.timer);
  }

  private succeed(result: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.stopClock();
    this.trace?.end(undefined);
    const { host, job, attempt } = this;
    try {
      if (host.emit !== noEvents || host.logger.info !== noLog) {
        const { runId, webhookId } = job;
        const durationMs = performance.now() - this.startedAt;
        if (host.emit !== noEvents) host.emit({ type: "run.succeeded", webhookId, runId, attempt, durationMs });
        host.logger.info({ runId, webhookId, attempt, durationMs }, "run succeeded");
      }
    } catch (error) {
      this.done(new AttemptFailure(error, performance.now() - this.startedAt, this.record), this);
      return;
    }
    this.record?.succeeded(result);
    this.done(undefined, this);
  }

  /**
   * An abort fails the attempt at once (what the agent does next no longer counts) but tells the
   * owner a microtask later, so the agent's own reaction to its aborted signal runs first.
   */
  private failSoon(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.stopClock();
    this.trace?.end(error);
    const failure = new AttemptFailure(error, performance.now() - this.startedAt, this.record);
    queueMicrotask(() => this.done(failure, this));
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.stopClock();
    this.trace?.end(error);
    this.done(new AttemptFailure(error, performance.now() - this.startedAt, this.record), this);
  }
}

function onTimeout(run: Attempt): void {
  run.expired();
}

/**
 * The agent's `ctx`. perf: one object per run; `signal`, `logger` and `receivedAt` are getters on
 * the prototype (no closures per run) and make their values on first read.
 */
class RunContext implements AgentContext {
  readonly runId: string;
  readonly attempt: number;
  readonly deliveryId: string | undefined;
  readonly replayOf: string | undefined;
  readonly #run: Attempt;
  readonly #host: RunnerHost;
  #receivedAt: Date | undefined;
  #logger: Logger | undefined;

  constructor(run: Attempt, host: RunnerHost) {
    this.runId = run.job.runId;
    this.attempt = run.attempt;
    this.deliveryId = run.job.deliveryId;
    this.replayOf = run.job.replayOf;
    this.#run = run;
    this.#host = host;
  }

  get receivedAt(): Date {
    return (this.#receivedAt ??= new Date(this.#run.job.receivedAt));
  }

  get signal(): AbortSignal {
    return this.#run.signal();
  }

  get logger(): Logger {
    if (this.#logger) return this.#logger;
    const bindings = { runId: this.runId, webhookId: this.#run.job.webhookId };
    const record = this.#run.record;
    return (this.#logger = record ? recordingLogger(this.#host.logger, bindings, record) : childLogger(this.#host.logger, bindings));
  }

  get effects(): EffectStore {
    return this.#run.effects;
  }

  emit(event: AgentEvent): void {
    this.#host.emit(event);
  }
}

let sharedEffects: EffectStore | undefined;

/** For runners that bring no effect store: one per process, made on first use. */
function processEffects(): EffectStore {
  return (sharedEffects ??= memoryEffectStore());
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<T>).then === "function";
}

function ignore(): void {}

/** A failed attempt: the original error, how long the attempt took, and its run record. */
export class AttemptFailure extends Error {
  override readonly name = "AttemptFailure";
  constructor(
    readonly error: unknown,
    readonly durationMs: number,
    /** @internal Where {@link reportFailure} records the failure (absent: the agent never started). */
    readonly record?: AttemptRecorder,
  ) {
    super(describeError(error).message, { cause: error });
  }
}

/**
 * Logs, emits and records a failed attempt: `run.retrying` when `retryDelayMs` is given, else
 * `run.failed` (the last attempt: the job is dead-lettered).
 */
export function reportFailure(
  host: RunnerHost,
  job: RunnerJob,
  attempt: number,
  failure: unknown,
  retryDelayMs: number | undefined,
): void {
  const { runId, webhookId } = job;
  const cause = failure instanceof AttemptFailure ? failure.error : failure;
  const durationMs = failure instanceof AttemptFailure ? failure.durationMs : 0;
  const err = describeError(cause);
  if (retryDelayMs !== undefined) {
    host.logger.warn({ runId, webhookId, attempt, delayMs: retryDelayMs, err }, "run failed; retrying");
    host.emit({ type: "run.retrying", webhookId, runId, attempt, delayMs: retryDelayMs, error: err.message });
  } else {
    host.logger.error({ runId, webhookId, attempt, err }, "run failed on its last attempt; dead-lettered");
    host.emit({ type: "run.failed", webhookId, runId, attempt, durationMs, error: err.message });
  }
  const retrying = retryDelayMs !== undefined;
  if (failure instanceof AttemptFailure && failure.record) failure.record.failed(cause, retrying);
  else host.runs?.attemptFailed(job, attempt, cause, retrying);
}

/** Exponential backoff with jitter, as BullMQ's `exponential` strategy computes it. */
export interface BackoffPolicy {
  /** Delay before the first retry, in milliseconds; doubled for each further retry. */
  delayMs: number;
  /** Fraction (0-1) of each delay that is randomized: `delay * (1 - jitter)` up to `delay`. */
  jitter: number;
}

/** The delay before retrying after failed attempt number `attempt` (1-based). */
export function backoffDelay(attempt: number, { delayMs, jitter }: BackoffPolicy, random: () => number = Math.random): number {
  const max = Math.round(2 ** (attempt - 1) * delayMs);
  return jitter > 0 ? Math.floor(random() * max * jitter + max * (1 - jitter)) : max;
}

/**
 * Waits for `promise` at most `ms` milliseconds (forever when `ms` is undefined): how runners
 * bound a drain on close. Never rejects on the timeout; the timer is always cleared.
 */
export async function raceTimeout(promise: Promise<unknown>, ms: number | undefined): Promise<"done" | "timeout"> {
  if (ms === undefined) return promise.then(() => "done");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(resolve, ms, "timeout");
  });
  try {
    return await Promise.race([promise.then(() => "done" as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
