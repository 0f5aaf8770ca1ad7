import { Buffer } from "node:buffer";
import { HookrunError } from "../errors";
import { JSON_DEPTH_WASM } from "./json-depth-wasm";

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
 * perf: a WebAssembly SIMD scan (64 bytes per step, ~10× the JavaScript scan) where WebAssembly
 * SIMD is available; the JavaScript scan otherwise, and for the bodies the SIMD scan leaves
 * undecided (a backslash outside any string: malformed).
 */
export function checkJsonDepth(bytes: Uint8Array, maxDepth: number): void {
  // perf: `length` read once; `byteLength` in the loop condition is ten times slower on a Buffer.
  const length = bytes.length;
  // perf: a body shorter than the limit cannot be nested deeper than it.
  if (length <= maxDepth) return;
  const wasm = simdScanner();
  const verdict = wasm === null ? UNDECIDED : wasm.tooDeep(bytes, maxDepth);
  if (verdict === UNDECIDED ? scanTooDeep(bytes, maxDepth) : verdict === TOO_DEEP) {
    throw new HookrunError("invalid_json", `The JSON body is nested more than ${maxDepth} levels deep (objects and arrays within each other).`);
  }
}

const NOT_TOO_DEEP = 0;
const TOO_DEEP = 1;
const UNDECIDED = 2;
// The scanner's memory: one window of the body at a time, padded to 64-byte blocks.
const WINDOW = 64 * 1024;
const BLOCK = 64;

interface SimdScanner {
  tooDeep(bytes: Uint8Array, maxDepth: number): number;
}

let scanner: SimdScanner | null | undefined;

/** The WebAssembly scanner, compiled on first use; `null` where WebAssembly or SIMD is missing. */
function simdScanner(): SimdScanner | null {
  if (scanner !== undefined) return scanner;
  try {
    const module = new WebAssembly.Module(Buffer.from(JSON_DEPTH_WASM, "base64"));
    const { exports } = new WebAssembly.Instance(module, {});
    const { memory, scan, reset } = exports as { memory: WebAssembly.Memory; scan: (length: number, max: number) => number; reset: () => void };
    const window = new Uint8Array(memory.buffer, 0, WINDOW);
    scanner = {
      tooDeep(bytes, maxDepth) {
        reset();
        const length = bytes.length;
        for (let offset = 0; offset < length; offset += WINDOW) {
          const end = Math.min(length, offset + WINDOW);
          const size = end - offset;
          window.set(offset === 0 && end === length ? bytes : bytes.subarray(offset, end), 0);
          // Spaces pad the last block: they open, close and escape nothing.
          const padded = Math.ceil(size / BLOCK) * BLOCK;
          if (padded > size) window.fill(0x20, size, padded);
          const verdict = scan(padded, maxDepth);
          if (verdict !== NOT_TOO_DEEP) return verdict;
        }
        return NOT_TOO_DEEP;
      },
    };
  } catch {
    // No WebAssembly (or no SIMD, or code generation from bytes is not allowed here).
    scanner = null;
  }
  return scanner;
}

/** The byte-by-byte rule in JavaScript: `true` when `bytes` nest deeper than `maxDepth`. */
function scanTooDeep(bytes: Uint8Array, maxDepth: number): boolean {
  const length = bytes.length;
  const strings = new StringSkipper(bytes);
  let depth = 0;
  for (let index = 0; index < length; index++) {
    // perf: one table load decides for the bytes that matter to neither state (nearly all of them).
    const kind = KIND[bytes[index]!]!;
    if (kind === OTHER) continue;
    if (kind === STRING) {
      index = strings.end(index + 1);
    } else if (kind === OPEN) {
      if (++depth > maxDepth) return true;
    } else if (kind === CLOSE) {
      depth--;
    }
    // A backslash outside a string is malformed JSON: JSON.parse refuses it; it nests nothing.
  }
  return false;
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
