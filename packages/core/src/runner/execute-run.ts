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
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  if (signal?.aborted) abort();
  else signal?.addEventListener("abort", abort, { once: true });
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
      signal: controller.signal,
      logger: childLogger(host.logger, { runId, webhookId }),
    };
    const running = Promise.resolve().then(() => agent(job.envelope, ctx));
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new RunTimeoutError(timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(abortReason(controller.signal));
      controller.signal.addEventListener("abort", () => reject(abortReason(controller.signal)), { once: true });
    });
    // The losers of the race must not surface as unhandled rejections.
    running.catch(() => {});
    timedOut.catch(() => {});
    aborted.catch(() => {});
    await Promise.race([running, timedOut, aborted]);
    const durationMs = performance.now() - startedAt;
    host.emit({ type: "run.succeeded", webhookId, runId, attempt, durationMs });
    host.logger.info({ runId, webhookId, attempt, durationMs }, "run succeeded");
  } catch (error) {
    throw new AttemptFailure(error, performance.now() - startedAt);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}

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

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("the run was aborted");
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
