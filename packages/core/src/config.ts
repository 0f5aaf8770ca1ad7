import type { z } from "zod";
import { HookrunConfigError } from "./errors";

/**
 * Validates options once, at creation. Returns zod's parsed copy (defaults applied), so the
 * caller's object is never mutated; a failure names the field, e.g. `webhooks.0.auth`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { path, message } = deepestIssue(result.error.issues[0]!);
  throw new HookrunConfigError([label, ...path.map(String)].join("."), message);
}

type Issue = z.core.$ZodIssue;

/**
 * For a union (`webhooks`: a list or a function), zod reports the union itself; the useful issue
 * is the one inside the branch that got furthest, e.g. `webhooks.0.agent`.
 */
function deepestIssue(issue: Issue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return issue;
  const inner = issue.errors
    .flat()
    .map((branch) => deepestIssue(branch))
    .sort((a, b) => b.path.length - a.path.length)[0]!;
  return inner.path.length > 0 ? { path: [...issue.path, ...inner.path], message: inner.message } : issue;
}
