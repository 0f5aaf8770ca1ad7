import { describeError } from "../logger";

const MAX_LOG_LINE = 8_192;
const MAX_MESSAGE = 2_048;
const MAX_STACK = 16_384;

/** JSON text of `value`, or why it has none: a throw (cycle, BigInt in a toJSON...) is `not_json`. */
export function jsonOf(value: unknown): string | "not_json" | undefined {
  try {
    return JSON.stringify(value, replacer);
  } catch {
    return "not_json";
  }
}

// Errors would serialize as {}; BigInts would throw.
function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return describeError(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** One {@link RunLogLine} as JSON text, at most about 8 KiB: fields too large or not JSON are replaced. */
export function logLineJson(level: string, fields: unknown, message: unknown, time: number): string {
  const text = typeof message === "string" ? cap(message, MAX_MESSAGE) : String(message);
  const json = jsonOf(fields ?? {});
  const safeFields = json === undefined || json === "not_json" ? '{"unserializable":true}' : json.length > MAX_LOG_LINE ? `{"truncated":true,"bytes":${json.length}}` : json;
  return `{"time":${time},"level":${JSON.stringify(level)},"message":${JSON.stringify(text)},"fields":${safeFields.startsWith("{") ? safeFields : `{"value":${safeFields}}`}}`;
}

/** An attempt's error as stored: name, message and stack, capped. */
export function storedError(error: unknown): { name?: string; message: string; stack?: string } {
  const { name, message, stack } = describeError(error);
  const stored: { name?: string; message: string; stack?: string } = { name, message: cap(message, MAX_MESSAGE) };
  if (stack !== undefined) stored.stack = cap(stack, MAX_STACK);
  return stored;
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
