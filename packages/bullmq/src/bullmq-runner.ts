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
import { isRedisCluster, Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobsOptions } from "bullmq";
import { z } from "zod";
import { createBackendHealth, ingressClient, isConnectionError, watchConnection, workerConnection, type BackendState, type RedisClient } from "./backend-health";
import { redisEffectStore } from "./redis-effect-store";
import { redisRunStore } from "./redis-run-store";

const DAY_MS = 86_400_000;

const keepSchema = z.object({
  ageMs: z.number().int().min(1).max(365 * DAY_MS),
  count: z.number().int().min(0).max(10_000_000),
});

const optionsSchema = runnerOptionsSchema.extend({
  connection: z.custom<ConnectionOptions>((value) => typeof value === "object" && value !== null, "expected ioredis options or an ioredis instance"),
  queueName: z.string().regex(/^[A-Za-z0-9._~-]{1,128}$/, "expected 1-128 characters from A-Z a-z 0-9 . _ ~ -").default("hookrun"),
  prefix: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^:]+$/, "expected no ':'")
    .regex(/^(?:[^{}]*|[^{}]*\{[^{}]+\}[^{}]*)$/, "expected no braces, or one Redis Cluster hash tag such as `{hookrun}`")
    .default("hookrun"),
  maxQueued: z.number().int().min(0).max(100_000_000).default(10_000),
  enqueueTimeoutMs: z.number().int().min(1).max(600_000).default(2_000),
  lockDurationMs: z.number().int().min(500).max(DAY_MS).default(30_000),
  stalledIntervalMs: z.number().int().min(100).max(DAY_MS).default(30_000),
  maxStalledCount: z.number().int().min(0).max(1_000).default(2),
  keepDeadLetters: keepSchema.default({ ageMs: 7 * DAY_MS, count: 10_000 }),
  keepCompleted: keepSchema.default({ ageMs: DAY_MS, count: 1_000 }),
});

/** Options of {@link bullmqRunner}. */
export interface BullmqRunnerOptions extends RunnerOptions {
  /**
   * Where Redis is: ioredis options (`{ host, port, password, tls }`, `{ url: "rediss://..." }`) or
   * an ioredis instance: a `Redis` (workers need `maxRetriesPerRequest: null` on it) or a `Cluster`.
   * From options, the ingress opens its own client that fails fast while Redis is unreachable
   * (`maxRetriesPerRequest: 0`, no offline queue); workers get `maxRetriesPerRequest: null`.
   * Required.
   */
  connection: ConnectionOptions;
  /** BullMQ queue name; ingress and worker processes must agree on it. Default `"hookrun"`. */
  queueName?: string;
  /**
   * Redis key prefix of the queue. Default `"hookrun"`. With a Redis Cluster connection, a prefix
   * without a hash tag is used as one (`"hookrun"` → `"{hookrun}"`), so that all of a queue's keys
   * live in one slot as BullMQ's scripts need; a prefix with braces must hold exactly one tag.
   */
  prefix?: string;
  /**
   * Jobs waiting or delayed (retries) in Redis before new requests get `429 queue_full`. Checked
   * before each enqueue, so concurrent ingress requests may pass it by their number. Default `10_000`.
   */
  maxQueued?: number;
  /**
   * Longest wait for Redis to take a job; then the request gets `503 queue_unavailable` with
   * `Retry-After`. While Redis is known to be down (its connection dropped), requests get that
   * answer at once, and after a timeout (a hung Redis) the wait is cut to 500 ms until Redis
   * answers again. Default `2_000`.
   */
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

/** A {@link Runner} that also reports whether Redis is reachable. */
export interface BullmqRunner extends Runner {
  /**
   * The Redis connection state as this process sees it (`{ ok, state, since, detail? }`), from the
   * connections' own events: `ok: false` during an outage, when requests get `503 queue_unavailable`.
   */
  health(): BackendState;
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
  /** For a replay: the run it re-runs. */
  replayOf?: string;
  /** The PRODUCER span's W3C trace context (`traceparent`, `tracestate`), when telemetry records. */
  trace?: Record<string, string>;
}

const SHUTTING_DOWN = new HookrunError("shutting_down", "The server is shutting down; retry later.", { headers: { "retry-after": "5" } });
const QUEUE_UNAVAILABLE = new HookrunError(
  "queue_unavailable",
  "The webhook queue is temporarily unavailable, so this delivery was not accepted; retry it later (same body, same delivery id).",
  { headers: { "retry-after": "5" } },
);
// After a timeout, until Redis answers again: a short wait, so a hung Redis does not hold every request.
const UNHEALTHY_TIMEOUT_MS = 500;
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
export function bullmqRunner(options: BullmqRunnerOptions): BullmqRunner {
  const config = parseOptions(optionsSchema, options, "bullmqRunner");
  const prefix = isRedisCluster(config.connection) ? clusterPrefix(config.prefix) : config.prefix;
  const health = createBackendHealth(() => host!.logger);
  const jobOptions: JobsOptions = {
    attempts: config.attempts,
    backoff: { type: "exponential", delay: config.backoff.delayMs, jitter: config.backoff.jitter },
    removeOnComplete: { age: Math.ceil(config.keepCompleted.ageMs / 1000), count: config.keepCompleted.count },
    removeOnFail: { age: Math.ceil(config.keepDeadLetters.ageMs / 1000), count: config.keepDeadLetters.count },
  };
  const abortRuns = new AbortController();
  let host: RunnerHost | undefined;
  let queue: Queue | undefined;
  let ingress: { client: RedisClient; owned: boolean } | undefined;
  const unwatch: Array<() => void> = [];
  let worker: Worker | undefined;
  let closing = false;
  let pending = 0;
  /** Enqueues under way: close() lets them get Redis's answer before it closes the connection. */
  let settled: (() => void) | undefined;
  let counting: Promise<number> | undefined;
  const effects = redisEffectStore(() => getQueue().getBackend().client, (key) => getQueue().toKey(`effect:${key}`), config.effectTtlMs);

  function getQueue(): Queue {
    if (!queue) {
      ingress = ingressClient(config.connection);
      unwatch.push(watchConnection(ingress.client, "queue", health));
      queue = new Queue(config.queueName, { connection: ingress.client as ConnectionOptions, prefix });
      queue.on("error", (error) => {
        // Connection errors repeat with every reconnect attempt: `health` logs the outage once.
        if (!isConnectionError(error)) host?.logger.error({ err: describeError(error) }, "bullmq queue error");
      });
    }
    return queue;
  }

  /** Resolves when a job can be sent to Redis now; a `503 queue_unavailable` when it cannot. */
  async function queueReady(timeoutMs: number): Promise<void> {
    getQueue();
    const client = ingress!.client;
    if (client.status === "ready") return;
    // Known down: answer at once. Not connected yet (just started): wait a little for the first connection.
    if (health.isDown) throw QUEUE_UNAVAILABLE;
    await redisCall(new Promise<void>((resolve) => client.once("ready", () => resolve())), timeoutMs);
  }

  /** A Redis call bounded by `timeoutMs`; a timeout or a connection failure becomes `503 queue_unavailable`. */
  async function redisCall<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
    try {
      const result = await withTimeout(promise, timeoutMs);
      health.answered();
      return result;
    } catch (error) {
      if (error instanceof RedisTimeout) {
        health.slow(error);
        throw QUEUE_UNAVAILABLE;
      }
      if (isConnectionError(error)) {
        health.down("queue", error);
        throw QUEUE_UNAVAILABLE;
      }
      throw error;
    }
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
      ...(job.trace === undefined ? {} : { trace: { ...job.trace } }),
      ...(job.replayOf === undefined ? {} : { replayOf: job.replayOf }),
    };
    // A replay is asked for on purpose: its delivery id must not turn it into the first run.
    const dedupe = job.deliveryId !== undefined && config.idempotencyTtlMs > 0 && job.replayOf === undefined;
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
    const runnerJob = toRunnerJob(data);
    const runSignal = signal ? AbortSignal.any([signal, abortRuns.signal]) : abortRuns.signal;
    // attemptsStarted counts every start, including one cut short by a killed worker (which attemptsMade misses).
    const attempt = Math.max(job.attemptsStarted ?? 0, job.attemptsMade + 1);
    await executeRun(host!, { job: runnerJob, attempt, timeoutMs: config.timeoutMs, signal: runSignal, effects });
  }

  function startWorker(runnerHost: RunnerHost): void {
    worker = new Worker<JobData>(config.queueName, processJob, {
      connection: workerConnection(config.connection),
      prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    });
    unwatch.push(watchConnection(worker.getBackend(), "worker", health));
    worker.on("error", (error) => {
      if (isConnectionError(error)) return;
      // A run that ended while Redis was away outlived its lock: BullMQ runs it again (at least once).
      if (/^Missing lock for job/.test(error.message)) runnerHost.logger.warn({ err: describeError(error) }, "a run's lock lapsed (Redis was unreachable or slow); it will run again");
      else runnerHost.logger.error({ err: describeError(error) }, "bullmq worker error");
    });
    worker.on("failed", (job, error) => {
      if (!job?.data || job.data.v !== 1) return;
      // moveToFailed has run: attemptsMade counts this attempt, finishedOn is set when it was the last.
      const retryDelayMs = job.finishedOn === undefined ? (job.delay ?? 0) : undefined;
      const failure = error instanceof AttemptFailure ? error : new AttemptFailure(error, 0);
      reportFailure(runnerHost, toRunnerJob(job.data), Math.max(job.attemptsStarted ?? 0, job.attemptsMade, 1), failure, retryDelayMs);
    });
  }

  return {
    name: "bullmq",
    roles: ["ingress", "worker", "both"],
    messaging: { system: "bullmq", destination: config.queueName },
    start(runnerHost) {
      host = runnerHost;
      // The ingress connects at start, so the first request does not pay for it and an outage is seen early.
      if (runnerHost.role !== "worker") getQueue();
      if (runnerHost.role !== "ingress") startWorker(runnerHost);
    },
    async enqueue(job) {
      if (!host) throw new Error("bullmqRunner: enqueue() before start()");
      if (closing) throw SHUTTING_DOWN;
      const timeoutMs = health.unresponsive ? Math.min(config.enqueueTimeoutMs, UNHEALTHY_TIMEOUT_MS) : config.enqueueTimeoutMs;
      // Counted before the first await: a close() that starts meanwhile waits for this job's answer.
      pending += 1;
      try {
        await queueReady(timeoutMs);
        // `pending` counts this job and the others this process is adding right now.
        if ((await redisCall(waitingCount(), timeoutMs)) + pending > config.maxQueued) throw QUEUE_FULL;
        return await redisCall(add(job), timeoutMs);
      } finally {
        pending -= 1;
        if (pending === 0) settled?.();
      }
    },
    async deadLetters(query) {
      const limit = query?.limit ?? 100;
      const jobs = (await getQueue().getFailed(0, limit - 1)) as Array<Job<JobData>>;
      return jobs.filter((job) => job?.data?.v === 1).map(toDeadLetter);
    },
    async depth() {
      const counts = await getQueue().getJobCounts("waiting", "prioritized", "delayed", "active");
      return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0), running: counts.active ?? 0 };
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
      // A job being added when close() came gets its answer (a 202, not a cut connection).
      if (pending > 0) await raceTimeout(new Promise<void>((resolve) => (settled = resolve)), closeOptions?.timeoutMs ?? config.enqueueTimeoutMs);
      for (const stop of unwatch.splice(0)) stop();
      await queue?.close();
      if (ingress?.owned) await ingress.client.quit().catch(() => ingress!.client.disconnect());
    },
    health: () => health.state(),
    // Run records live in Redis next to the jobs: every process of the deployment sees the same runs.
    createRunStore: (retention) => redisRunStore(() => getQueue().getBackend().client, () => getQueue().toKey("runs:"), retention),
    async envelopeOf(runId) {
      const job = (await getQueue().getJob(runId)) as Job<JobData> | undefined;
      return job?.data?.v === 1 ? job.data.envelope : undefined;
    },
  };
}

/** A Redis Cluster needs all of a queue's keys in one slot: the prefix as a hash tag, unless it has one. */
function clusterPrefix(prefix: string): string {
  return prefix.includes("{") ? prefix : `{${prefix}}`;
}

function toRunnerJob(data: JobData): RunnerJob {
  const job: RunnerJob = { runId: data.runId, webhookId: data.webhookId, deliveryId: data.deliveryId ?? undefined, receivedAt: data.receivedAt, envelope: data.envelope };
  if (data.agent !== undefined) job.agent = data.agent;
  if (data.trace !== undefined) job.trace = data.trace;
  if (data.replayOf !== undefined) job.replayOf = data.replayOf;
  return job;
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

class RedisTimeout extends Error {}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeout(`Redis did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

