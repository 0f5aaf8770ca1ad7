import { z } from "zod";
import { parseOptions } from "../config";
import { memoryEffectStore } from "../effects/effect-store";
import { HookrunError } from "../errors";
import { describeError } from "../logger";
import { KeyRing } from "../flat/key-ring";
import { Deadlines } from "../timers/deadlines";
import { Attempt, backoffDelay, raceTimeout, reportFailure } from "./execute-run";
import type { DeadLetter, EnqueueOptions, EnqueueReceipt, Runner, RunnerHost, RunnerJob } from "./runner";
import { runnerOptionsSchema, type RunnerOptions } from "./runner-options";

const optionsSchema = runnerOptionsSchema.extend({
  maxQueued: z.number().int().min(0).max(10_000_000).default(1_000),
  maxDeliveryIds: z.number().int().min(1).max(10_000_000).default(100_000),
  maxDeadLetters: z.number().int().min(0).max(1_000_000).default(1_000),
});

/** Options of {@link memoryRunner}. */
export interface MemoryRunnerOptions extends RunnerOptions {
  /**
   * Jobs waiting for a slot or for a retry before new requests get `429 queue_full` (with
   * `Retry-After`). Default `1000`.
   */
  maxQueued?: number;
  /** Delivery ids remembered for idempotency at most; the oldest is forgotten first. Default `100_000`. */
  maxDeliveryIds?: number;
  /** Dead letters kept (the oldest is dropped first); see `runner.deadLetters()`. Default `1000`. */
  maxDeadLetters?: number;
}

const QUEUE_FULL = new HookrunError("queue_full", "Too many webhook runs are waiting; retry later.", { headers: { "retry-after": "1" } });
const SHUTTING_DOWN = new HookrunError("shutting_down", "The server is shutting down; retry later.", { headers: { "retry-after": "5" } });

/**
 * The embedded runner (the default): runs agents in this process, off the request path, at most
 * `concurrency` at a time, from a queue bounded by `maxQueued`. Each attempt has `timeoutMs`
 * (then `ctx.signal` aborts and the attempt counts as failed); a failed attempt is retried up to
 * `attempts` times with exponential backoff and jitter, then kept as a dead letter
 * (`runner.deadLetters()`) and logged. A delivery id seen within `idempotencyTtlMs` gets the first
 * `runId` back and starts no second run.
 *
 * Nothing to install, but everything lives in this process's memory: queued runs, pending retries
 * and dead letters are lost if it dies. Pick `@hookrun/bullmq` when "accepted" must survive a crash.
 * It can only play the `both` role.
 *
 * @example
 * ```ts
 * createInboundWebhooks({
 *   webhooks,
 *   runner: memoryRunner({ concurrency: 8, maxQueued: 5_000, attempts: 5, timeoutMs: 60_000 }),
 * });
 * ```
 */
export function memoryRunner(options: MemoryRunnerOptions = {}): Runner {
  const config = parseOptions(optionsSchema, options, "memoryRunner");
  // Jobs enqueued since the last turn: their 202 may not be written yet, so they wait for setImmediate.
  let fresh: Attempt[] = [];
  // Jobs whose 202 was written in the turn they were enqueued in (answeredInTurn): they start in a
  // microtask. perf: a run that waits for the next turn waits for every request the event loop
  // reads before it; under load that kept dozens of payloads alive across young-generation GCs
  // (64 KiB bodies: ~14 KB promoted to the old generation per request, against ~0.2 KB so).
  let soon: Attempt[] = [];
  let soonScheduled = false;
  // Jobs from earlier turns: each starts as soon as a slot is free, in the same turn.
  const ready = new Fifo<Attempt>();
  // perf: a close that timed out aborts the running attempts through this list, not through an
  // AbortSignal listener per run. A list with swap-removal, not a Set: a Set that a run enters and
  // leaves on every run rehashes its table every few runs.
  const running = new RunningList();
  // perf: one timer for every running attempt's timeout, not a setTimeout per run.
  const deadlines = new Deadlines(config.timeoutMs);
  const retrying = new Map<NodeJS.Timeout, Attempt>();
  // Delivery ids seen within the idempotency TTL: key -> the first runId (entry text), expiry (entry value).
  const seen = new KeyRing(config.maxDeliveryIds);
  const deadLetters: DeadLetter[] = [];
  // Retries of a run happen in this process, so its effects need only this process's memory.
  const effects = memoryEffectStore({ ttlMs: config.effectTtlMs });
  const idleWaiters: Array<() => void> = [];
  // Runs an adapter asked to keep alive (`waitUntil`), by job (retries reuse it): settled at the run's end.
  const keptAlive = new Map<RunnerJob, () => void>();
  let host: RunnerHost | undefined;
  let closing = false;
  let aborted = false;
  let closeReason: Error | undefined;
  let pumpScheduled = false;
  let draining = false;

  const queued = () => fresh.length + soon.length + ready.size;
  const isIdle = () => running.size === 0 && queued() === 0 && retrying.size === 0;

  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // Agents start on a later turn, so the 202 is written before any agent code runs.
    setImmediate(pump);
  }

  function pump(): void {
    pumpScheduled = false;
    for (const attempt of fresh) ready.push(attempt);
    fresh = [];
    drain();
  }

  function scheduleSoon(): void {
    if (soonScheduled) return;
    soonScheduled = true;
    queueMicrotask(pumpSoon);
  }

  function pumpSoon(): void {
    soonScheduled = false;
    for (const attempt of soon) ready.push(attempt);
    soon = [];
    drain();
  }

  /**
   * Starts ready jobs while there are free slots. A run that finishes during the loop (a quick
   * agent) only frees its slot, and the loop goes on: the runner's throughput does not depend on
   * how many runs fit in one event-loop turn, and quick agents never recurse into each other.
   */
  function drain(): void {
    if (draining) return;
    draining = true;
    try {
      while (running.size < config.concurrency && ready.size > 0) start(ready.shift()!);
    } finally {
      draining = false;
    }
    if (idleWaiters.length > 0 && isIdle()) for (const wake of idleWaiters.splice(0)) wake();
  }

  function start(attempt: Attempt): void {
    running.add(attempt);
    if (closeReason) attempt.abort(closeReason);
    attempt.start();
  }

  function attemptOf(job: RunnerJob, number: number): Attempt {
    // perf: a callback-driven attempt; an async function and Promise.race cost more than a short run.
    return new Attempt(host!, job, number, config.timeoutMs, finish, deadlines, effects);
  }

  function finish(failure: unknown, attempt: Attempt): void {
    try {
      if (failure === undefined) return settle(attempt.job);
      if (attempt.attempt < config.attempts && !aborted) scheduleRetry(attempt, failure);
      else deadLetter(attempt.job, attempt.attempt, failure);
    } finally {
      running.delete(attempt);
      drain();
    }
  }

  function scheduleRetry(attempt: Attempt, failure: unknown): void {
    const delayMs = backoffDelay(attempt.attempt, config.backoff);
    reportFailure(host!, attempt.job, attempt.attempt, failure, delayMs);
    const timer = setTimeout(() => {
      retrying.delete(timer);
      // A timer callback runs in a turn of its own: nothing to wait for.
      ready.push(attemptOf(attempt.job, attempt.attempt + 1));
      drain();
    }, delayMs);
    retrying.set(timer, attempt);
  }

  /** The run has ended: let go of what kept the platform alive for it. */
  function settle(job: RunnerJob): void {
    // perf: without waitUntil (a long-lived server) the map stays empty; no look-up per run.
    if (keptAlive.size === 0) return;
    keptAlive.get(job)?.();
    keptAlive.delete(job);
  }

  function keepAlive(job: RunnerJob, waitUntil: (work: Promise<unknown>) => void): void {
    try {
      waitUntil(new Promise<void>((resolve) => keptAlive.set(job, resolve)));
    } catch (error) {
      keptAlive.delete(job);
      host!.logger.warn({ webhookId: job.webhookId, runId: job.runId, err: describeError(error) }, "waitUntil threw: this run is not kept alive");
    }
  }

  function deadLetter(job: RunnerJob, attempts: number, failure: unknown): void {
    settle(job);
    reportFailure(host!, job, attempts, failure, undefined);
    if (config.maxDeadLetters === 0) return;
    const error = failure instanceof Error ? failure.message : String(failure);
    deadLetters.push({ ...job, attempts, error, failedAt: Date.now() });
    if (deadLetters.length > config.maxDeadLetters) deadLetters.shift();
  }

  function remember(key: string, runId: string): void {
    if (seen.size >= config.maxDeliveryIds) seen.dropOldest();
    seen.add(key, Date.now() + config.idempotencyTtlMs, runId);
  }

  function recall(key: string): string | undefined {
    const now = Date.now();
    // The TTL is the same for every entry, so arrival order is expiry order: the expired are the oldest.
    while (seen.size > 0 && seen.value(seen.first) <= now) seen.dropOldest();
    const entry = seen.find(key);
    return entry < 0 ? undefined : seen.text(entry);
  }

  function whenIdle(): Promise<void> {
    if (isIdle()) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  function abortEverything(): void {
    aborted = true;
    const dropped = [...fresh, ...soon, ...ready.drain(), ...retrying.values()];
    fresh = [];
    soon = [];
    for (const timer of retrying.keys()) clearTimeout(timer);
    retrying.clear();
    for (const { job, attempt } of dropped) deadLetter(job, attempt, new Error("hookrun closed before this run could finish"));
    host?.logger.warn({ running: running.size, dropped: dropped.length }, "close timed out: aborting running agents, dead-lettering queued runs");
    closeReason = new Error("hookrun is closing");
    for (const attempt of running.snapshot()) attempt.abort(closeReason);
  }

  function enqueueNow(job: RunnerJob, enqueueOptions?: EnqueueOptions): EnqueueReceipt {
    if (!host) throw new Error("memoryRunner: enqueue() before start()");
    if (closing) throw SHUTTING_DOWN;
    // A replay is asked for on purpose: its delivery id must not turn it into the first run.
    const key =
      job.deliveryId !== undefined && config.idempotencyTtlMs > 0 && job.replayOf === undefined ? `${job.webhookId}\n${job.agent ?? ""}\n${job.deliveryId}` : undefined;
    const firstRunId = key === undefined ? undefined : recall(key);
    if (firstRunId !== undefined) return { runId: firstRunId, replayed: true };
    // Jobs that will find a free slot on the next turn are not waiting; pending retries are.
    const waiting = Math.max(0, queued() - (config.concurrency - running.size)) + retrying.size;
    if (waiting >= config.maxQueued) throw QUEUE_FULL;
    if (key !== undefined) remember(key, job.runId);
    if (enqueueOptions?.waitUntil) keepAlive(job, enqueueOptions.waitUntil);
    if (enqueueOptions?.answeredInTurn === true) {
      soon.push(attemptOf(job, 1));
      scheduleSoon();
    } else {
      fresh.push(attemptOf(job, 1));
      schedulePump();
    }
    return { runId: job.runId, replayed: false };
  }

  return {
    name: "memory",
    roles: ["both"],
    messaging: { system: "hookrun", destination: "memory" },
    start(runnerHost) {
      host = runnerHost;
    },
    enqueue: async (job, enqueueOptions) => enqueueNow(job, enqueueOptions),
    enqueueNow,
    async deadLetters(query) {
      const limit = query?.limit ?? 100;
      return deadLetters.slice(-limit).reverse();
    },
    depth() {
      return { waiting: queued() + retrying.size, running: running.size };
    },
    health() {
      // Nothing outside this process to reach: only a closing runner is not ok.
      return closing ? { ok: false, detail: "closing" } : { ok: true };
    },
    async close(closeOptions) {
      closing = true;
      const idle = whenIdle();
      const timeoutMs = closeOptions?.timeoutMs;
      if (timeoutMs === undefined) return idle;
      if ((await raceTimeout(idle, timeoutMs)) === "done") return;
      abortEverything();
      // Aborted attempts settle on their next turn; give them a moment to be recorded.
      await raceTimeout(whenIdle(), 1_000);
    },
  };
}


/** The attempts running now: O(1) add and remove, no allocation once warm. */
class RunningList {
  private readonly attempts: Attempt[] = [];

  get size(): number {
    return this.attempts.length;
  }

  add(attempt: Attempt): void {
    attempt.runningAt = this.attempts.length;
    this.attempts.push(attempt);
  }

  delete(attempt: Attempt): void {
    const at = attempt.runningAt;
    if (at < 0 || this.attempts[at] !== attempt) return;
    const last = this.attempts.pop()!;
    if (last !== attempt) {
      this.attempts[at] = last;
      last.runningAt = at;
    }
    attempt.runningAt = -1;
  }

  /** A copy: aborting an attempt may remove it (or others) while the copy is walked. */
  snapshot(): Attempt[] {
    return this.attempts.slice();
  }
}

/** First-in first-out queue with O(1) shift (Array#shift is O(n)). */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue, returning what it held. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}
