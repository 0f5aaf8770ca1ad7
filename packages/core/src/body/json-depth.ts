import { HookrunError } from "../errors";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

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
  let depth = 0;
  let inString = false;
  for (let index = 0; index < length; index++) {
    const byte = bytes[index]!;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) {
        throw new HookrunError("invalid_json", `The JSON body is nested more than ${maxDepth} levels deep (objects and arrays within each other).`);
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}
