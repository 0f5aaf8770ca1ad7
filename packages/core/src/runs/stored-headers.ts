import { isSecretHeader } from "../http/secret-headers";
import type { InboundHeaders } from "../types";
import type { RunRequestMetadata } from "./types";

const MAX_HEADERS = 64;
const MAX_VALUE = 1_024;

/**
 * The request metadata a run record keeps: header names and values minus every credential and
 * signature header, each value at most 1 KiB, at most 64 headers.
 */
export function requestMetadata(headers: InboundHeaders, bytes: number): RunRequestMetadata {
  const kept: Record<string, string> = {};
  let count = 0;
  if (typeof (headers as Headers).forEach === "function" && typeof (headers as Headers).get === "function") {
    (headers as Headers).forEach((value, name) => {
      if (keep(kept, count, name, value)) count++;
    });
  } else {
    // perf: Node's headers object, walked without a closure per request.
    const record = headers as Readonly<Record<string, string | string[] | undefined>>;
    for (const name in record) if (keep(kept, count, name, record[name])) count++;
  }
  const contentType = kept["content-type"];
  return contentType === undefined ? { headers: kept, bytes } : { headers: kept, contentType, bytes };
}

/** Keeps one header in `kept` unless it is secret, empty or one too many; whether it was kept. */
function keep(kept: Record<string, string>, count: number, name: string, value: string | readonly string[] | undefined): boolean {
  if (value === undefined || count >= MAX_HEADERS) return false;
  const lower = name.toLowerCase();
  if (isSecretHeader(lower)) return false;
  const text = typeof value === "string" ? value : value.join(", ");
  setHeader(kept, lower, text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text);
  return true;
}

/**
 * `headers[name] = value`, also for a header a sender named `__proto__`: a plain assignment would
 * set the object's prototype (ignored for a string) and drop the header. @internal
 */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  else headers[name] = value;
}
