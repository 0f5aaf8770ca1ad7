import { z } from "zod";
import { DEFAULT_EFFECT_TTL_MS } from "../effects/effect-store";

/** 24 hours: how long a delivery id is remembered by default. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

/**
 * The options every hookrun runner shares, with their defaults. Runner packages extend this schema
 * so both runners read `attempts`, `backoff`, `timeoutMs`... the same way.
 */
export const runnerOptionsSchema = z.object({
  concurrency: z.number().int().min(1).max(10_000).default(4),
  attempts: z.number().int().min(1).max(100).default(3),
  backoff: z
    .object({
      delayMs: z.number().int().min(0).max(86_400_000).default(1_000),
      jitter: z.number().min(0).max(1).default(0.5),
    })
    .default({ delayMs: 1_000, jitter: 0.5 }),
  timeoutMs: z.number().int().min(1).max(2 ** 31 - 1).default(600_000),
  idempotencyTtlMs: z.number().int().min(0).max(2 ** 31 - 1).default(DEFAULT_IDEMPOTENCY_TTL_MS),
  effectTtlMs: z.number().int().min(1).max(2 ** 31 - 1).default(DEFAULT_EFFECT_TTL_MS),
});

/** The options every hookrun runner accepts (see `memoryRunner` and `bullmqRunner` for defaults). */
export interface RunnerOptions {
  /** Agents running at once (per process for distributed runners). Default `4`. */
  concurrency?: number;
  /** Attempts per run, the first one included; a failed last attempt is dead-lettered. Default `3`. */
  attempts?: number;
  /**
   * Wait before retry `n`: `delayMs * 2^(n-1)`, of which the `jitter` fraction is random.
   * Default `{ delayMs: 1000, jitter: 0.5 }`.
   */
  backoff?: { delayMs?: number; jitter?: number };
  /** An attempt running longer fails and its `ctx.signal` aborts. Default `600_000` (10 min). */
  timeoutMs?: number;
  /**
   * How long a delivery id (`Idempotency-Key`, `webhook-id`, `X-GitHub-Delivery`, or the webhook's
   * `deliveryId` function) is remembered: a repeat within it gets the first `runId` and no new run.
   * `0` turns idempotency off. Default `86_400_000` (24 h).
   */
  idempotencyTtlMs?: number;
  /**
   * How long the outcome of a side effect (`ctx.effects`, e.g. an `@hookrun/ai` write tool call)
   * is remembered for later attempts of its run. Default 7 days.
   */
  effectTtlMs?: number;
}
