import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every depth, so two inputs that differ only in key order read
 * the same. `undefined` properties are left out, as `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  // toJSON first (Dates), like JSON.stringify would.
  const plain = typeof (value as { toJSON?: unknown }).toJSON === "function" ? (value as { toJSON(): unknown }).toJSON() : value;
  if (plain !== value) return sortKeys(plain);
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    // defineProperty, so a "__proto__" key stays a plain data property.
    Object.defineProperty(sorted, key, { value: sortKeys((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return sorted;
}

/**
 * The effect key of a write tool call: the same run, tool, canonical input and occurrence (the
 * n-th identical call in the attempt, from 1) give the same key in every attempt and process. The
 * model's toolCallId is not part of it: it differs between attempts.
 */
export function effectKey(runId: string, toolName: string, canonicalInput: string, occurrence: number): string {
  const hash = createHash("sha256");
  for (const part of [runId, toolName, canonicalInput]) hash.update(`${Buffer.byteLength(part)}:${part}\n`);
  hash.update(String(occurrence));
  return `hk_${hash.digest("base64url")}`;
}
