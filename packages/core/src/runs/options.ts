import { z } from "zod";
import type { RunRedaction, RunRetention, RunStore } from "./types";

/** 1,000 runs kept by default. */
export const DEFAULT_MAX_RUNS = 1_000;
/** 32 MiB of records kept by default by the in-memory store. */
export const DEFAULT_MAX_RUN_BYTES = 33_554_432;
/** 7 days. */
export const DEFAULT_MAX_RUN_AGE_MS = 604_800_000;
export const DEFAULT_MAX_REFUSED = 1_000;
export const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;
export const DEFAULT_MAX_RESULT_BYTES = 262_144;
export const DEFAULT_MAX_LOG_LINES = 200;

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === "function";
const redactFunction = z.custom<Extract<RunRedaction, (...args: never[]) => unknown>>(isFunction);
// "a.b", "cards.*.number": keys separated by dots, "*" any key or index; no empty segment.
const PATH = /^[^.]+(\.[^.]+)*$/;
const redactPath = z.string().max(1_000).regex(PATH, 'expected a payload path such as "customer.email" or "cards.*.number"');

const storeSchema = z.custom<RunStore>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    ["created", "attemptStarted", "attemptFinished", "replayed", "refused", "get", "list", "count", "listRefused"].every((key) => isFunction((value as never)[key])),
  "expected a RunStore such as memoryRunStore()",
);

const count = (max: number) => z.number().int().min(1).max(max);

export const runsOptionsSchema = z
  .object({
    store: storeSchema.optional(),
    maxRuns: count(10_000_000).optional(),
    maxBytes: count(2 ** 40).optional(),
    maxAgeMs: count(10 * 365 * 86_400_000).optional(),
    maxRefused: z.number().int().min(0).max(1_000_000).optional(),
    redact: z
      .union([redactFunction, z.array(z.union([redactPath, redactFunction]))], {
        error: 'expected payload paths such as ["customer.email", "card.*"] and/or functions (payload) => payload',
      })
      .optional(),
    storePayload: z.boolean().default(true),
    maxPayloadBytes: count(2 ** 31 - 1).default(DEFAULT_MAX_PAYLOAD_BYTES),
    maxResultBytes: count(2 ** 31 - 1).default(DEFAULT_MAX_RESULT_BYTES),
    maxLogLines: z.number().int().min(0).max(100_000).default(DEFAULT_MAX_LOG_LINES),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (!options.store) return;
    for (const key of ["maxRuns", "maxBytes", "maxAgeMs", "maxRefused"] as const) {
      if (options[key] !== undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: "a store you pass keeps its own retention: give it to the store (e.g. memoryRunStore({ maxRuns })) instead" });
      }
    }
  });

/** `runs` as parsed, or `false` (records off). */
export type ParsedRunsOptions = z.output<typeof runsOptionsSchema>;

/** The retention the default store gets from `runs` options. */
export function retentionOf(options: ParsedRunsOptions): RunRetention {
  return {
    maxRuns: options.maxRuns ?? DEFAULT_MAX_RUNS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_RUN_BYTES,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_MAX_RUN_AGE_MS,
    maxRefused: options.maxRefused ?? DEFAULT_MAX_REFUSED,
  };
}
