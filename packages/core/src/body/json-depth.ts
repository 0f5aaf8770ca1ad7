import { HookrunError } from "../errors";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

const OTHER = 0;
const STRING = 1;
const ESCAPE = 2;
const OPEN = 3;
const CLOSE = 4;
const KIND = new Uint8Array(256);
KIND[QUOTE] = STRING;
KIND[BACKSLASH] = ESCAPE;
KIND[OPEN_BRACE] = OPEN;
KIND[OPEN_BRACKET] = OPEN;
KIND[CLOSE_BRACE] = CLOSE;
KIND[CLOSE_BRACKET] = CLOSE;

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
    // perf: one table load decides for the bytes that matter to neither state (nearly all of them).
    const kind = KIND[bytes[index]!]!;
    if (kind === OTHER) continue;
    if (inString) {
      if (kind === ESCAPE) index++;
      else if (kind === STRING) inString = false;
    } else if (kind === STRING) {
      inString = true;
    } else if (kind === OPEN) {
      if (++depth > maxDepth) {
        throw new HookrunError("invalid_json", `The JSON body is nested more than ${maxDepth} levels deep (objects and arrays within each other).`);
      }
    } else if (kind === CLOSE) {
      depth--;
    }
  }
}
