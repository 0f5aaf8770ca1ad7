import { Buffer } from "node:buffer";
import { z } from "zod";
import { HookrunConfigError } from "../errors";
import { getHeader } from "../http/headers";
import { matchesAnyDigest, sha256 } from "./constant-time";
import type { Verifier } from "./verifier";

const DIGEST_PREFIX = "sha256:";
const HEX_DIGEST = /^[0-9a-f]{64}$/i;
// RFC 6750's b64token: letters, digits and `-._~+/`, then any number of `=`.
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") TOKEN_CHARS[char.charCodeAt(0)] = 1;
const SPACE = 0x20;
const EQUALS = 0x3d;

/**
 * The token of an `Authorization: Bearer <token>` value (the scheme in any case, spaces around the
 * token), or `undefined` when the value is anything else. perf: what
 * `/^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i` accepts, without a match array per request.
 */
function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 8) return undefined;
  // "bearer", any case: a letter's lower case is its code with 0x20 set.
  if (
    (value.charCodeAt(0) | 0x20) !== 0x62 ||
    (value.charCodeAt(1) | 0x20) !== 0x65 ||
    (value.charCodeAt(2) | 0x20) !== 0x61 ||
    (value.charCodeAt(3) | 0x20) !== 0x72 ||
    (value.charCodeAt(4) | 0x20) !== 0x65 ||
    (value.charCodeAt(5) | 0x20) !== 0x72 ||
    value.charCodeAt(6) !== SPACE
  ) {
    return undefined;
  }
  const length = value.length;
  let at = 7;
  while (at < length && value.charCodeAt(at) === SPACE) at++;
  const start = at;
  while (at < length && value.charCodeAt(at) < 128 && TOKEN_CHARS[value.charCodeAt(at)] === 1) at++;
  if (at === start) return undefined;
  while (at < length && value.charCodeAt(at) === EQUALS) at++;
  const end = at;
  while (at < length && value.charCodeAt(at) === SPACE) at++;
  return at === length ? value.slice(start, end) : undefined;
}

/** A token (or `sha256:` digest) that stops being accepted after `notAfter`. */
export interface ExpiringToken {
  token: string;
  /** Last instant the token is accepted: a `Date`, epoch milliseconds, or an ISO 8601 string. */
  notAfter: Date | number | string;
}

/** One `bearer` entry: a plain token, a `sha256:<64 hex>` digest, or either with an expiry. */
export type BearerToken = string | ExpiringToken;

const notAfterSchema = z
  .union([z.date(), z.number(), z.string()])
  .transform((value) => (value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value)))
  .refine((ms) => Number.isFinite(ms), "expected a valid Date, epoch milliseconds or an ISO 8601 date");
const entrySchema = z.union([z.string(), z.object({ token: z.string(), notAfter: notAfterSchema })]);
const tokensSchema = z.union([entrySchema, z.array(entrySchema).min(1, "give at least one token")]);

/**
 * Bearer-token verifier: `Authorization: Bearer <token>`, checked before the body is read.
 *
 * Each entry is either the token itself or `"sha256:<64 hex>"`, its SHA-256 digest, so the
 * plain token need not live in your config. Several entries are accepted at once for rotation:
 * add the new token, move senders over, then remove the old one, or give the old one a `notAfter`
 * so it stops working by itself. Comparison is constant-time over SHA-256 digests, so neither the
 * token length nor which entry matched leaks through timing.
 *
 * @param tokens - one entry or a non-empty list. An entry is a token, a `sha256:` digest, or
 *   `{ token, notAfter }` (either form, refused after `notAfter`: a Date, epoch ms or ISO string).
 *   Tokens must be non-empty and made of RFC 6750 token characters (letters, digits, `-._~+/`,
 *   trailing `=`).
 * @throws HookrunConfigError when an entry is empty, malformed, or a bad `sha256:` digest.
 * @example
 * ```ts
 * import { bearer } from "@hookrun/core";
 * const auth = bearer([
 *   process.env.ALERTS_TOKEN!,
 *   { token: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", notAfter: "2026-12-31T23:59:59Z" },
 * ]);
 * ```
 */
export function bearer(tokens: BearerToken | readonly BearerToken[]): Verifier {
  const parsed = tokensSchema.safeParse(tokens);
  // The zod issue is not echoed: it could quote a token.
  if (!parsed.success) {
    throw new HookrunConfigError("bearer(tokens)", "expected a token, a `sha256:` digest or { token, notAfter }, or a non-empty array of them");
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  const digests = entries.map((entry, index) => toDigest(typeof entry === "string" ? entry : entry.token, `bearer(tokens)[${index}]`));
  const expiries = entries.map((entry) => (typeof entry === "string" ? Number.POSITIVE_INFINITY : entry.notAfter));
  const expires = expiries.some((ms) => ms !== Number.POSITIVE_INFINITY);

  return {
    scheme: "bearer",
    phase: "headers",
    verify(headers) {
      const token = bearerToken(getHeader(headers, "authorization"));
      if (token === undefined) return false;
      if (!expires) return matchesAnyDigest(token, digests);
      const now = Date.now();
      return matchesAnyDigest(token, digests, (index) => now <= expiries[index]!);
    },
  };
}

function toDigest(entry: string, field: string): Buffer {
  if (entry.startsWith(DIGEST_PREFIX)) {
    const hex = entry.slice(DIGEST_PREFIX.length);
    if (!HEX_DIGEST.test(hex)) throw new HookrunConfigError(field, "a `sha256:` entry must be followed by 64 hex digits");
    return Buffer.from(hex, "hex");
  }
  // The message never repeats the entry: it may be a real token.
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(entry)) {
    throw new HookrunConfigError(field, "a token must be non-empty and use only letters, digits, `-._~+/` and trailing `=`");
  }
  return sha256(entry);
}
