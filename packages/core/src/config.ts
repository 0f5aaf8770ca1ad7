import type { z } from "zod";
import { HookrunConfigError } from "./errors";

/**
 * Validates options once, at creation. Returns zod's parsed copy (defaults applied), so the
 * caller's object is never mutated; a failure names the field, e.g. `webhooks.0.auth`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [label, ...issue.path.map(String)].join(".");
  throw new HookrunConfigError(field, issue.message);
}
