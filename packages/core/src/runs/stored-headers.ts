import { isSecretHeader } from "../http/secret-headers";
import type { InboundHeaders } from "../types";
import type { RunRequestMetadata } from "./types";

const MAX_HEADERS = 64;
const MAX_VALUE = 1_024;

/** Where {@link storedHeaders} puts each header a run record keeps. @internal */
export interface HeaderSink {
  put(lower: string, value: string): void;
}

// perf: the sink of the walk under way, so that Fetch `Headers#forEach` gets one module-level
// callback instead of a closure per request (walks never nest: a sink never reads headers).
let sink: HeaderSink | undefined;
let kept = 0;
const visit = (value: string, name: string) => keep(name, value);

/**
 * Walks the headers a run record keeps, in order: every header minus each credential and signature
 * header, names lower-case, each value at most 1 KiB, at most 64 headers. @internal
 */
export function storedHeaders(headers: InboundHeaders, into: HeaderSink): void {
  sink = into;
  kept = 0;
  try {
    if (typeof (headers as Headers).forEach === "function" && typeof (headers as Headers).get === "function") (headers as Headers).forEach(visit);
    else {
      // perf: Node's headers object, walked without a closure per request.
      const record = headers as Readonly<Record<string, string | string[] | undefined>>;
      for (const name in record) keep(name, record[name]);
    }
  } finally {
    sink = undefined;
  }
}

// perf: names repeat from request to request: each one's lower-case form, or null for a secret
// header, is remembered (a bounded cache: names are sender-controlled).
const lowered = new Map<string, string | null>();
const MAX_LOWERED = 512;

function keep(name: string, value: string | readonly string[] | undefined): void {
  if (value === undefined || kept >= MAX_HEADERS) return;
  let lower = lowered.get(name);
  if (lower === undefined) {
    const candidate = name.toLowerCase();
    lower = isSecretHeader(candidate) ? null : candidate;
    if (lowered.size < MAX_LOWERED) lowered.set(name, lower);
  }
  if (lower === null) return;
  kept++;
  const text = typeof value === "string" ? value : value.join(", ");
  sink!.put(lower, text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text);
}

/** Collects the kept headers into a plain object. */
class ObjectSink implements HeaderSink {
  readonly headers: Record<string, string> = {};
  put(lower: string, value: string): void {
    setHeader(this.headers, lower, value);
  }
}

/**
 * The request metadata a run record keeps: header names and values minus every credential and
 * signature header, each value at most 1 KiB, at most 64 headers.
 */
export function requestMetadata(headers: InboundHeaders, bytes: number): RunRequestMetadata {
  const into = new ObjectSink();
  storedHeaders(headers, into);
  const contentType = into.headers["content-type"];
  return contentType === undefined ? { headers: into.headers, bytes } : { headers: into.headers, contentType, bytes };
}

/**
 * `headers[name] = value`, also for a header a sender named `__proto__`: a plain assignment would
 * set the object's prototype (ignored for a string) and drop the header. @internal
 */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  else headers[name] = value;
}
