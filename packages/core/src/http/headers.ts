import type { InboundHeaders } from "../types";

/**
 * The single value of a header, or `undefined` when it is absent or sent more than once.
 * Refusing repeated values matters for credentials: two `Authorization` headers are ambiguous,
 * and guessing which one counts is how auth bypasses happen.
 * Record keys must be lower-case, as Node's `req.headers` gives them.
 */
export function getHeader(headers: InboundHeaders, name: string): string | undefined {
  if (isFetchHeaders(headers)) return headers.get(name) ?? undefined;
  const value = headers[name];
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length === 1) return value[0];
  return undefined;
}

function isFetchHeaders(headers: InboundHeaders): headers is Headers {
  return typeof (headers as Headers).get === "function";
}
