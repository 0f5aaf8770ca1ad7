import { HookrunError } from "../errors";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

const OTHER = 0;
const STRING = 1;
// Outside a string a backslash nests nothing, so it is OTHER here; StringSkipper handles escapes.
const OPEN = 3;
const CLOSE = 4;
const KIND = new Uint8Array(256);
KIND[QUOTE] = STRING;
KIND[OPEN_BRACE] = OPEN;
KIND[OPEN_BRACKET] = OPEN;
KIND[CLOSE_BRACE] = CLOSE;
KIND[CLOSE_BRACKET] = CLOSE;

// Bytes of a string scanned one by one before the rest is searched natively: most JSON strings are
// short, and for them a native search costs more than it saves.
const SHORT_STRING = 16;

/**
 * Refuses JSON nested deeper than `maxDepth` before `JSON.parse` and the agent see it (deep nesting
 * overflows the stack of recursive code downstream). One pass over the bytes, no recursion:
 * brackets inside strings (escapes included) do not count. UTF-8 continuation bytes are never ASCII,
 * so scanning bytes is exact. Malformed JSON is left for `JSON.parse` to refuse.
 */
export function checkJsonDepth(bytes: Uint8Array, maxDepth: number): void {
  // perf: `length` read once; `byteLength` in the loop condition is ten times slower on a Buffer.
  const length = bytes.length;
  // perf: a body shorter than the limit cannot be nested deeper than it.
  if (length <= maxDepth) return;
  const strings = new StringSkipper(bytes);
  let depth = 0;
  for (let index = 0; index < length; index++) {
    // perf: one table load decides for the bytes that matter to neither state (nearly all of them).
    const kind = KIND[bytes[index]!]!;
    if (kind === OTHER) continue;
    if (kind === STRING) {
      index = strings.end(index + 1);
    } else if (kind === OPEN) {
      if (++depth > maxDepth) {
        throw new HookrunError("invalid_json", `The JSON body is nested more than ${maxDepth} levels deep (objects and arrays within each other).`);
      }
    } else if (kind === CLOSE) {
      depth--;
    }
    // A backslash outside a string is malformed JSON: JSON.parse refuses it; it nests nothing.
  }
}

/**
 * Finds where strings end. Long strings (base64 blobs, embedded documents, padding) are skipped with
 * the native `indexOf`; the next quote and the next backslash are remembered, so each is searched
 * for once per position and the whole body costs O(n) even with many long strings.
 */
class StringSkipper {
  private nextQuote = -1;
  private nextBackslash = -1;
  private readonly length: number;

  constructor(private readonly bytes: Uint8Array) {
    this.length = bytes.length;
  }

  /** The index of the quote that closes the string whose content starts at `start` (or `length`). */
  end(start: number): number {
    const { bytes, length } = this;
    const stop = Math.min(length, start + SHORT_STRING);
    let index = start;
    for (; index < stop; index++) {
      const byte = bytes[index];
      if (byte === QUOTE) return index;
      if (byte === BACKSLASH) index++;
    }
    return index >= length ? length : this.endFar(index);
  }

  private endFar(from: number): number {
    const { bytes, length } = this;
    let index = from;
    while (index < length) {
      if (this.nextQuote < index) this.nextQuote = found(bytes.indexOf(QUOTE, index), length);
      if (this.nextBackslash < index) this.nextBackslash = found(bytes.indexOf(BACKSLASH, index), length);
      if (this.nextQuote < this.nextBackslash) return this.nextQuote;
      // An escape: the byte after the backslash (a quote, another backslash...) is content.
      index = this.nextBackslash + 2;
    }
    return length;
  }
}

function found(index: number, length: number): number {
  return index < 0 ? length : index;
}
