import { z } from "zod";
import { parseOptions } from "../config";
import { HookrunError } from "../errors";
import { childLogger, describeError } from "../logger";
import type { AgentContext } from "../types";
import type { EnqueueReceipt, Runner, RunnerHost, RunnerJob } from "./runner";

const optionsSchema = z.object({
  concurrency: z.number().int().min(1).max(10_000).default(4),
  maxQueued: z.number().int().min(0).max(10_000_000).default(1_000),
});

/** Options of {@link memoryRunner}. */
export interface MemoryRunnerOptions {
  /** Agents running at once. Default `4`. */
  concurrency?: number;
  /** Accepted jobs waiting for a slot before new requests get `429 queue_full`. Default `1000`. */
  maxQueued?: number;
}

/**
 * The embedded runner (the default): runs agents in this process, off the request path, at most
 * `concurrency` at a time. Nothing to install; jobs are lost if the process dies, so pick
 * `@hookrun/bullmq` when "accepted" must survive a crash.
 *
 * An agent that throws or rejects is logged and reported as `run.failed`; it never crashes the
 * process or leaves an unhandled rejection.
 *
 * @example
 * ```ts
 * createInboundWebhooks({ webhooks, runner: memoryRunner({ concurrency: 8, maxQueued: 5_000 }) });
 * ```
 */
export function memoryRunner(options: MemoryRunnerOptions = {}): Runner {
  const { concurrency, maxQueued } = parseOptions(optionsSchema, options, "memoryRunner");
  const queue = new Fifo<RunnerJob>();
  const running = new Set<AbortController>();
  const idleWaiters: Array<() => void> = [];
  let host: RunnerHost | undefined;
  let closing = false;
  let pumpScheduled = false;

  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // Agents start on a later turn, so the 202 is written before any agent code runs.
    setImmediate(pump);
  }

  function pump(): void {
    pumpScheduled = false;
    while (running.size < concurrency && queue.size > 0) void run(queue.shift()!);
    if (running.size === 0 && queue.size === 0) for (const wake of idleWaiters.splice(0)) wake();
  }

  async function run(job: RunnerJob): Promise<void> {
    const controller = new AbortController();
    running.add(controller);
    const { runId, webhookId } = job;
    const attempt = 1;
    const logger = childLogger(host!.logger, { runId, webhookId });
    const startedAt = performance.now();
    try {
      const agent = await host!.resolveAgent(webhookId);
      if (!agent) throw new Error(`no agent is configured for webhook "${webhookId}"`);
      host!.emit({ type: "run.started", webhookId, runId, attempt });
      const ctx: AgentContext = {
        runId,
        attempt,
        receivedAt: new Date(job.receivedAt),
        deliveryId: job.deliveryId,
        signal: controller.signal,
        logger,
      };
      await agent(job.envelope, ctx);
      host!.emit({ type: "run.succeeded", webhookId, runId, attempt, durationMs: performance.now() - startedAt });
    } catch (error) {
      const described = describeError(error);
      logger.error({ attempt, err: described }, "agent run failed");
      host!.emit({ type: "run.failed", webhookId, runId, attempt, durationMs: performance.now() - startedAt, error: described.message });
    } finally {
      running.delete(controller);
      schedulePump();
    }
  }

  function whenIdle(): Promise<void> {
    if (running.size === 0 && queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  return {
    name: "memory",
    start(runnerHost) {
      host = runnerHost;
    },
    async enqueue(job): Promise<EnqueueReceipt> {
      if (!host) throw new Error("memoryRunner: enqueue() before start()");
      if (closing) throw new HookrunError("shutting_down", "The server is shutting down; retry later.", { headers: { "retry-after": "5" } });
      // Jobs that will find a free slot on the next turn are not waiting.
      if (queue.size - (concurrency - running.size) >= maxQueued) {
        throw new HookrunError("queue_full", "Too many webhook runs are waiting; retry later.", { headers: { "retry-after": "1" } });
      }
      queue.push(job);
      schedulePump();
      return { runId: job.runId };
    },
    async close(closeOptions) {
      closing = true;
      const idle = whenIdle();
      const timeoutMs = closeOptions?.timeoutMs;
      if (timeoutMs === undefined) return idle;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(resolve, timeoutMs, "timeout");
      });
      const outcome = await Promise.race([idle, timedOut]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        const dropped = queue.clear();
        host?.logger.warn({ running: running.size, dropped }, "close timed out: aborting running agents, dropping queued jobs");
        for (const controller of running) controller.abort(new Error("hookrun is closing"));
      }
    },
  };
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

  clear(): number {
    const dropped = this.size;
    this.items = [];
    this.head = 0;
    return dropped;
  }
}
