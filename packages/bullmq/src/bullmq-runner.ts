import { createHash } from "node:crypto";
import {
  AttemptFailure,
  describeError,
  executeRun,
  HookrunError,
  parseOptions,
  raceTimeout,
  reportFailure,
  runnerOptionsSchema,
  type DeadLetter,
  type EnqueueReceipt,
  type Envelope,
  type Runner,
  type RunnerHost,
  type RunnerJob,
  type RunnerOptions,
} from "@hookrun/core";
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from "bullmq";
import { z } from "zod";
import { redisEffectStore } from "./redis-effect-store";

const DAY_MS = 86_400_000;

const keepSchema = z.object({
  ageMs: z.number().int().min(1).max(365 * DAY_MS),
  count: z.number().int().min(0).max(10_000_000),
});

const optionsSchema = runnerOptionsSchema.extend({
  connection: z.custom<ConnectionOptions>((value) => typeof value === "object" && value !== null, "expected ioredis options or an ioredis instance"),
  queueName: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, "expected 1-128 characters from A-Z a-z 0-9 . _ ~ -").default("hookrun"),
  prefix: z.string().min(1).max(64).regex(/^[^:]+$/, "expected no ':'").default("hookrun"),
  maxQueued: z.number().int().min(0).max(100_000_000).default(10_000),
  enqueueTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
  lockDurationMs: z.number().int().min(500).max(DAY_MS).default(30_000),
  stalledIntervalMs: z.number().int().min(100).max(DAY_MS).default(30_000),
  maxStalledCount: z.number().int().min(0).max(1_000).default(2),
  keepDeadLetters: keepSchema.default({ ageMs: 7 * DAY_MS, count: 10_000 }),
  keepCompleted: keepSchema.default({ ageMs: DAY_MS, count: 1_000 }),
});

/** Options of {@link bullmqRunner}. */
export interface BullmqRunnerOptions extends RunnerOptions {
  /**
   * Where Redis is: ioredis options (`{ host, port, password, tls }`, `{ url }`) or an ioredis
   * instance (workers need `maxRetriesPerRequest: null` on it). Required.
   */
  connection: ConnectionOptions;
  /** BullMQ queue name; ingress and worker processes must agree on it. Default `"hookrun"`. */
  queueName?: string;
  /** Redis key prefix of the queue. Default `"hookrun"`. */
  prefix?: string;
  /**
   * Jobs waiting or delayed (retries) in Redis before new requests get `429 queue_full`. Checked
   * before each enqueue, so concurrent ingress requests may pass it by their number. Default `10_000`.
   */
  maxQueued?: number;
  /** Longest wait for Redis to take a job; then the request gets `500 internal_error`. Default `10_000`. */
  enqueueTimeoutMs?: number;
  /** BullMQ lock of a running job; a killed worker's jobs run again elsewhere after it expires. Default `30_000`. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died. Default `30_000`. */
  stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it is dead-lettered. Default `2`. */
  maxStalledCount?: number;
  /** Dead letters (BullMQ's failed set) kept at least this long / this many. Default `{ ageMs: 7 days, count: 10_000 }`. */
  keepDeadLetters?: { ageMs: number; count: number };
  /** Completed jobs kept (for inspection). Default `{ ageMs: 1 day, count: 1_000 }`. */
  keepCompleted?: { ageMs: number; count: number };
}

/** The Redis form of a {@link RunnerJob}: data only, versioned. */
interface JobData {
  v: 1;
  runId: string;
  webhookId: string;
  deliveryId: string | null;
  receivedAt: number;
  envelope: Envelope;
  /** A fan-out webhook's agent name; absent for a webhook with one agent. */
  agent?: string;
}

const SHUTTING_DOWN = new HookrunError("shutting_down", "The server is shutting down; retry later.", { headers: { "retry-after": "5" } });
const QUEUE_FULL = new HookrunError("queue_full", "Too many webhook runs are waiting; retry later.", { headers: { "retry-after": "5" } });
const TOO_DEEP = new HookrunError(
  "invalid_payload",
  "The payload is valid JSON but nested too deeply to be stored for a background run; flatten it.",
);

/**
 * The durable, multi-machine runner: jobs live in Redis through BullMQ, so the `202` is sent only
 * once Redis holds the job, workers can run in any number of other processes or machines, and a
 * killed worker's jobs run again on another one (at-least-once). Retries use BullMQ's exponential
 * backoff with jitter, dead letters are BullMQ's failed set (`runner.deadLetters()`), and a
 * delivery id is deduplicated with a BullMQ deduplication id derived from the webhook id and the
 * delivery id (the first `runId` is answered, no second run).
 *
 * Run the same `createInboundWebhooks` configuration with `role: "ingress"` in the HTTP processes
 * and `role: "worker"` in worker processes (or `"both"`, the default, in one process).
 *
 * @example
 * ```ts
 * import { bullmqRunner } from "@hookrun/bullmq";
 *
 * const hooks = createInboundWebhooks({
 *   webhooks,
 *   role: process.env.HOOKRUN_ROLE as "ingress" | "worker" | undefined,
 *   runner: bullmqRunner({ connection: { host: "127.0.0.1", port: 6379 }, concurrency: 8, attempts: 5 }),
 * });
 * ```
 */
export function bullmqRunner(options: BullmqRunnerOptions): Runner {
  const config = parseOptions(optionsSchema, options, "bullmqRunner");
  const queueOptions = { connection: config.connection, prefix: config.prefix };
  const jobOptions: JobsOptions = {
    attempts: config.attempts,
    backoff: { type: "exponential", delay: config.backoff.delayMs, jitter: config.backoff.jitter },
    removeOnComplete: { age: Math.ceil(config.keepCompleted.ageMs / 1000), count: config.keepCompleted.count },
    removeOnFail: { age: Math.ceil(config.keepDeadLetters.ageMs / 1000), count: config.keepDeadLetters.count },
  };
  const abortRuns = new AbortController();
  let host: RunnerHost | undefined;
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  let closing = false;
  let pending = 0;
  let counting: Promise<number> | undefined;
  const effects = redisEffectStore(() => getQueue().getBackend().client, (key) => getQueue().toKey(`effect:${key}`), config.effectTtlMs);

  function getQueue(): Queue {
    if (!queue) {
      queue = new Queue(config.queueName, queueOptions);
      queue.on("error", (error) => host?.logger.error({ err: describeError(error) }, "bullmq queue error"));
    }
    return queue;
  }

  /** One count query shared by every request that arrives while it is in flight. */
  function waitingCount(): Promise<number> {
    counting ??= getQueue()
      .count()
      .finally(() => {
        counting = undefined;
      });
    return counting;
  }

  async function add(job: RunnerJob): Promise<EnqueueReceipt> {
    const data: JobData = {
      v: 1,
      runId: job.runId,
      webhookId: job.webhookId,
      deliveryId: job.deliveryId ?? null,
      receivedAt: job.receivedAt,
      envelope: job.envelope,
      ...(job.agent === undefined ? {} : { agent: job.agent }),
    };
    const dedupe = job.deliveryId !== undefined && config.idempotencyTtlMs > 0;
    const opts: JobsOptions = {
      ...jobOptions,
      jobId: job.runId,
      timestamp: job.receivedAt,
      ...(dedupe ? { deduplication: { id: deduplicationId(job.webhookId, job.deliveryId!, job.agent), ttl: config.idempotencyTtlMs } } : {}),
    };
    let added: Job;
    try {
      added = await getQueue().add(job.webhookId, data, opts);
    } catch (error) {
      // JSON.stringify overflows the stack on very deep payloads (JSON.parse does not): the sender's problem.
      if (error instanceof RangeError) throw TOO_DEEP;
      throw error;
    }
    // A deduplicated add answers the id of the job that holds the delivery id: the first run.
    const runId = added.id ?? job.runId;
    return { runId, replayed: runId !== job.runId };
  }

  async function processJob(job: Job<JobData>, _token?: string, signal?: AbortSignal): Promise<void> {
    const data = job.data;
    if (data?.v !== 1) throw new UnrecoverableError(`job ${job.id} is not a hookrun job`);
    const runnerJob: RunnerJob = {
      runId: data.runId,
      webhookId: data.webhookId,
      deliveryId: data.deliveryId ?? undefined,
      receivedAt: data.receivedAt,
      envelope: data.envelope,
      ...(data.agent === undefined ? {} : { agent: data.agent }),
    };
    const runSignal = signal ? AbortSignal.any([signal, abortRuns.signal]) : abortRuns.signal;
    await executeRun(host!, { job: runnerJob, attempt: job.attemptsMade + 1, timeoutMs: config.timeoutMs, signal: runSignal, effects });
  }

  function startWorker(runnerHost: RunnerHost): void {
    worker = new Worker<JobData>(config.queueName, processJob, {
      ...queueOptions,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    });
    worker.on("error", (error) => runnerHost.logger.error({ err: describeError(error) }, "bullmq worker error"));
    worker.on("failed", (job, error) => {
      if (!job?.data || job.data.v !== 1) return;
      // moveToFailed has run: attemptsMade counts this attempt, finishedOn is set when it was the last.
      const retryDelayMs = job.finishedOn === undefined ? (job.delay ?? 0) : undefined;
      const failure = error instanceof AttemptFailure ? error : new AttemptFailure(error, 0);
      reportFailure(runnerHost, job.data, Math.max(job.attemptsMade, 1), failure, retryDelayMs);
    });
  }

  return {
    name: "bullmq",
    roles: ["ingress", "worker", "both"],
    start(runnerHost) {
      host = runnerHost;
      if (runnerHost.role !== "ingress") startWorker(runnerHost);
    },
    async enqueue(job) {
      if (!host) throw new Error("bullmqRunner: enqueue() before start()");
      if (closing) throw SHUTTING_DOWN;
      pending += 1;
      try {
        // `pending` counts this job and the others this process is adding right now.
        if ((await withTimeout(waitingCount(), config.enqueueTimeoutMs)) + pending > config.maxQueued) throw QUEUE_FULL;
        return await withTimeout(add(job), config.enqueueTimeoutMs);
      } finally {
        pending -= 1;
      }
    },
    async deadLetters(query) {
      const limit = query?.limit ?? 100;
      const jobs = (await getQueue().getFailed(0, limit - 1)) as Array<Job<JobData>>;
      return jobs.filter((job) => job?.data?.v === 1).map(toDeadLetter);
    },
    async close(closeOptions) {
      closing = true;
      if (worker) {
        // pause() stops fetching and waits for the running jobs: the drain.
        const drained = await raceTimeout(worker.pause(), closeOptions?.timeoutMs);
        if (drained === "timeout") {
          host?.logger.warn({}, "close timed out: aborting running agents; Redis keeps their jobs for another worker");
          // Forced: no wait, no failure recorded; the jobs' locks lapse and another worker takes them.
          const closed = worker.close(true);
          abortRuns.abort(new Error("hookrun is closing"));
          await closed;
        } else await worker.close();
      }
      await queue?.close();
    },
  };
}

function toDeadLetter(job: Job<JobData>): DeadLetter {
  const { runId, webhookId, deliveryId, receivedAt, envelope } = job.data;
  return {
    runId,
    webhookId,
    deliveryId: deliveryId ?? undefined,
    receivedAt,
    failedAt: job.finishedOn ?? job.processedOn ?? receivedAt,
    attempts: job.attemptsMade,
    error: job.failedReason ?? "unknown error",
    envelope,
  };
}

/**
 * Deterministic BullMQ deduplication id for a delivery (to one agent of a fan-out webhook, when
 * `agent` is given): no ':' (BullMQ's separator), fixed length.
 */
export function deduplicationId(webhookId: string, deliveryId: string, agent?: string): string {
  const hash = createHash("sha256").update(webhookId).update("\n").update(deliveryId);
  if (agent !== undefined) hash.update("\n").update(agent);
  return `${webhookId}.${hash.digest("base64url")}`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

