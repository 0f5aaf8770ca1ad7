import { z } from "zod";
import { parseOptions } from "../config";

/**
 * What {@link EffectStore.begin} found for a key: `new` (nobody claimed it; the caller has now
 * claimed it and should perform the effect), `started` (an earlier claim never completed: the
 * effect may or may not have happened), or `completed` with the result that was recorded.
 */
export type EffectState = { state: "new" } | { state: "started" } | { state: "completed"; result: unknown };

/**
 * Remembers side effects across the attempts of a run, so a retry (in this process or, with a
 * durable runner, in another one after a crash) can tell which writes already happened. Each runner
 * has one and hands it to agents as `ctx.effects`: in memory with `memoryRunner`, in Redis with
 * `bullmqRunner`. Keys are the caller's (`@hookrun/ai` derives them from the run id, the tool and its
 * input); entries expire after the store's TTL.
 */
export interface EffectStore {
  /** Atomically claims `key` if nobody has, and says what was there before. */
  begin(key: string): Promise<EffectState>;
  /** Records that the effect of `key` happened and what it returned (kept as JSON). */
  complete(key: string, result: unknown): Promise<void>;
}

/** 7 days: how long an effect is remembered by default. */
export const DEFAULT_EFFECT_TTL_MS = 7 * 86_400_000;

const optionsSchema = z.object({
  ttlMs: z.number().int().min(1).max(2 ** 31 - 1).default(DEFAULT_EFFECT_TTL_MS),
  maxEntries: z.number().int().min(1).max(10_000_000).default(100_000),
});

/** Options of {@link memoryEffectStore}. */
export interface MemoryEffectStoreOptions {
  /** How long an entry is kept. Default 7 days. */
  ttlMs?: number;
  /** Entries kept at most; the oldest is forgotten first. Default `100_000`. */
  maxEntries?: number;
}

type Entry = { state: "started"; expiresAt: number } | { state: "completed"; json: string; expiresAt: number };

/**
 * The in-process {@link EffectStore} (what `memoryRunner` uses): retries in this process see
 * completed writes; nothing survives the process. Results are kept as JSON text, so a recorded
 * result reads back exactly as it would from Redis.
 *
 * @example
 * ```ts
 * const effects = memoryEffectStore({ ttlMs: 3_600_000 });
 * if ((await effects.begin(key)).state === "new") await effects.complete(key, await sendEmail());
 * ```
 */
export function memoryEffectStore(options: MemoryEffectStoreOptions = {}): EffectStore {
  const { ttlMs, maxEntries } = parseOptions(optionsSchema, options, "memoryEffectStore");
  const entries = new Map<string, Entry>();

  function sweep(now: number): void {
    // The TTL is the same for every entry and `complete` re-inserts, so insertion order is expiry order.
    for (const [key, entry] of entries) {
      if (entry.expiresAt > now) break;
      entries.delete(key);
    }
  }

  return {
    async begin(key) {
      const now = Date.now();
      sweep(now);
      const entry = entries.get(key);
      if (entry?.state === "completed") return { state: "completed", result: JSON.parse(entry.json) };
      if (entry) return { state: "started" };
      entries.set(key, { state: "started", expiresAt: now + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return { state: "new" };
    },
    async complete(key, result) {
      entries.delete(key);
      entries.set(key, { state: "completed", json: toJson(result), expiresAt: Date.now() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}

/** A result as stored: JSON text (`undefined` and functions become `null`). */
export function toJson(result: unknown): string {
  return JSON.stringify(result) ?? "null";
}
