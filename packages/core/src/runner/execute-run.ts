import { childLogger, describeError } from "../logger";
import type { AgentContext } from "../types";
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
export async function executeRun(host: RunnerHost, { job, attempt, timeoutMs, signal }: RunAttempt): Promise<void> {
  const { runId, webhookId } = job;
  // perf: the run's AbortSignal is made only if the agent reads ctx.signal (creating one costs more
  // than the rest of a short run), and the race learns of an abort from abortRun, not a listener.
  const lazy = new LazyAbort();
  let stop!: (reason: Error) => void;
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  // The loser of the race must not surface as an unhandled rejection.
  stopped.catch(ignore);
  const abortRun = (reason: unknown) => {
    lazy.abort(reason);
    stop(reason instanceof Error ? reason : new Error("the run was aborted"));
  };
  const onAbort = () => abortRun(signal!.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const startedAt = performance.now();
  try {
    const agent = await host.resolveAgent(webhookId, job.agent);
    if (!agent) throw new Error(`no agent ${job.agent === undefined ? "" : `"${job.agent}" `}is configured for webhook "${webhookId}"`);
    host.emit({ type: "run.started", webhookId, runId, attempt });
    host.logger.debug({ runId, webhookId, attempt }, "run started");
    const ctx: AgentContext = {
      runId,
      attempt,
      receivedAt: new Date(job.receivedAt),
      deliveryId: job.deliveryId,
      get signal() {
        return lazy.signal;
      },
      logger: childLogger(host.logger, { runId, webhookId }),
    };
    const running = Promise.resolve().then(() => agent(job.envelope, ctx));
    running.catch(ignore);
    timer = setTimeout(() => abortRun(new RunTimeoutError(timeoutMs)), timeoutMs);
    await Promise.race([running, stopped]);
    const durationMs = performance.now() - startedAt;
    host.emit({ type: "run.succeeded", webhookId, runId, attempt, durationMs });
    host.logger.info({ runId, webhookId, attempt, durationMs }, "run succeeded");
  } catch (error) {
    throw new AttemptFailure(error, performance.now() - startedAt);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * A run's AbortController, made on the first read of `signal`; a signal first read after the run
 * was aborted is already aborted, with the same reason.
 */
class LazyAbort {
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

function ignore(): void {}

/** A failed attempt: the original error and how long the attempt took. */
export class AttemptFailure extends Error {
  override readonly name = "AttemptFailure";
  constructor(
    readonly error: unknown,
    readonly durationMs: number,
  ) {
    super(describeError(error).message, { cause: error });
  }
}

/**
 * Logs and emits a failed attempt: `run.retrying` when `retryDelayMs` is given, else `run.failed`
 * (the last attempt: the job is dead-lettered).
 */
export function reportFailure(
  host: RunnerHost,
  job: Pick<RunnerJob, "runId" | "webhookId">,
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
