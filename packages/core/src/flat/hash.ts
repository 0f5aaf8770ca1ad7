import { Buffer } from "node:buffer";

/**
 * FNV-1a over the UTF-16 code units of `key` as UTF-8 keeps it (a lone surrogate becomes U+FFFD),
 * then mixed so that the low bits (the table index) spread; never 0 (an entry not hashed yet).
 * Keys are kept as UTF-8 bytes and may be hashed from them later (`ByteRegions#hash`): both ways
 * give the same hash, as the bytes compare equal.
 */
export function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    const unit = key.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdfff) return unitsHash(Buffer.from(key, "utf8").toString("utf8"));
    hash = Math.imul(hash ^ unit, 0x01000193);
  }
  return mixed(hash);
}

/** {@link hashOf} of text that is already what its UTF-8 bytes decode to. */
export function unitsHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return mixed(hash);
}

/** The end of {@link hashOf}, for FNV-1a taken elsewhere (over ASCII bytes: the same). */
export function mixed(fnv: number): number {
  let hash = fnv ^ (fnv >>> 16);
  hash = Math.imul(hash, 0x85ebca6b);
  return (hash ^ (hash >>> 13)) | 1;
}
