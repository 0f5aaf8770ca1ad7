import { z } from "zod";
import { HookrunConfigError } from "../errors";
import { getHeader } from "../http/headers";
import { matchesAnyDigest, sha256 } from "./constant-time";
import type { Verifier } from "./verifier";

const DIGEST_PREFIX = "sha256:";
const HEX_DIGEST = /^[0-9a-f]{64}$/i;
// RFC 6750 b64token, after a case-insensitive "Bearer" and one or more spaces.
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const tokensSchema = z.union([z.string(), z.array(z.string()).min(1, "give at least one token")]);

/**
 * Bearer-token verifier: `Authorization: Bearer <token>`, checked before the body is read.
 *
 * Each entry is either the token itself or `"sha256:<64 hex>"`, its SHA-256 digest, so the
 * plain token need not live in your config. Several entries are accepted at once for rotation:
 * add the new token, move senders over, then remove the old one. Comparison is constant-time over
 * SHA-256 digests, so neither the token length nor which entry matched leaks through timing.
 *
 * @param tokens - one token or digest, or a non-empty list of them. Tokens must be non-empty and
 *   made of RFC 6750 token characters (letters, digits, `-._~+/`, trailing `=`).
 * @throws HookrunConfigError when an entry is empty, malformed, or a bad `sha256:` digest.
 * @example
 * ```ts
 * import { bearer } from "@hookrun/core";
 * const auth = bearer([process.env.ALERTS_TOKEN!, "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]);
 * ```
 */
export function bearer(tokens: string | readonly string[]): Verifier {
  const parsed = tokensSchema.safeParse(tokens);
  if (!parsed.success) throw new HookrunConfigError("bearer(tokens)", "expected a token string or a non-empty array of them");
  const entries = typeof parsed.data === "string" ? [parsed.data] : parsed.data;
  const digests = entries.map((entry, index) => toDigest(entry, `bearer(tokens)[${index}]`));

  return {
    scheme: "bearer",
    phase: "headers",
    verify(headers) {
      const match = BEARER.exec(getHeader(headers, "authorization") ?? "");
      return match !== null && matchesAnyDigest(match[1]!, digests);
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
