import { createHash, randomBytes } from "node:crypto";

/** Random bytes in a generated token: 32 bytes = 256 bits. */
export const DEFAULT_TOKEN_BYTES = 32;

/** A new bearer token and the digest to put in config instead of the token itself. */
export interface GeneratedToken {
  /** base64url, no padding: only RFC 6750 token characters, safe in a header and a shell. */
  token: string;
  /** `sha256:<64 lowercase hex>` of the token's UTF-8 bytes: an entry `bearer()` accepts. */
  digest: string;
}

/**
 * Generates a random bearer token from the OS CSPRNG.
 *
 * @param bytes - random bytes, at least 32 (default 32).
 * @example
 * ```ts
 * const { token, digest } = generateToken();
 * // give `token` to the sender; configure `bearer(digest)` on the server
 * ```
 */
export function generateToken(bytes = DEFAULT_TOKEN_BYTES): GeneratedToken {
  if (!Number.isInteger(bytes) || bytes < DEFAULT_TOKEN_BYTES || bytes > 1024) {
    throw new RangeError(`a token needs between ${DEFAULT_TOKEN_BYTES} and 1024 random bytes`);
  }
  const token = randomBytes(bytes).toString("base64url");
  return { token, digest: tokenDigest(token) };
}

/** `sha256:<64 lowercase hex>` of a token's UTF-8 bytes, the digest form `bearer()` accepts. */
export function tokenDigest(token: string): string {
  return `sha256:${createHash("sha256").update(token, "utf8").digest("hex")}`;
}
