import { Buffer } from "node:buffer";
import type { InboundHeaders } from "../types";
import { setHeader, storedHeaders, type HeaderSink } from "./stored-headers";
import type { RunRequestMetadata } from "./types";

// HTTP forbids NUL in header names and values (Node's parser and Fetch `Headers` refuse it), so
// it separates fields; anything that carries one anyway is kept as JSON instead, exactly.
const SEP = "\0";
const JSON_FORM = "{";

/**
 * A run's request metadata as the in-memory store keeps it: the size, then header name/value
 * pairs, NUL-separated; the content type is the `content-type` header's (metadata where it is not
 * is kept as JSON). perf: about half the cost of `JSON.stringify` on every request, and decoded
 * only when someone reads the run.
 */
export function requestText(request: RunRequestMetadata): string {
  const { headers, contentType } = request;
  if (contentType !== (Object.hasOwn(headers, "content-type") ? headers["content-type"] : undefined)) return JSON.stringify(request);
  let text = String(request.bytes);
  for (const name in headers) {
    const value = headers[name]!;
    if (name.includes(SEP) || value.includes(SEP)) return JSON.stringify(request);
    text += SEP + name + SEP + value;
  }
  return text;
}

/**
 * Writes {@link requestText} of `requestMetadata(headers, bytes)` as UTF-8 into `buffer` from `at`,
 * never past `end`, straight from the headers; returns where it ends, or -1 when it does not fit or
 * a name or value holds a NUL (then the metadata object and {@link requestText} are the way).
 * perf: the in-memory store writes a run's metadata in place in its segment: no object of the kept
 * headers, no string to build and flatten, no buffer in between.
 */
export function writeRequest(buffer: Buffer, at: number, end: number, headers: InboundHeaders, bytes: number): number {
  const sink = inPlace;
  sink.buffer = buffer;
  sink.end = end;
  sink.at = writeText(buffer, String(bytes), at, end);
  storedHeaders(headers, sink);
  sink.buffer = undefined;
  return sink.at;
}

/** Writes each kept header as NUL, name, NUL, value; `at` -1 once one could not be written. */
class InPlaceSink implements HeaderSink {
  buffer: Buffer | undefined = undefined;
  at = 0;
  end = 0;

  put(lower: string, value: string): void {
    if (this.at < 0) return;
    const buffer = this.buffer!;
    let at = this.at;
    if (at >= this.end) return void (this.at = -1);
    buffer[at++] = 0;
    at = writeText(buffer, lower, at, this.end);
    if (at < 0 || at >= this.end) return void (this.at = -1);
    buffer[at++] = 0;
    this.at = writeText(buffer, value, at, this.end);
  }
}
const inPlace = new InPlaceSink();

/** Writes `text` as UTF-8 at `at`, never past `end`; returns where it ends, or -1 when it does not fit or holds a NUL. */
function writeText(buffer: Buffer, text: string, at: number, end: number): number {
  if (at < 0) return -1;
  const length = text.length;
  if (at + length > end) return -1;
  for (let index = 0; index < length; index++) {
    const unit = text.charCodeAt(index);
    // perf: names and values are almost always ASCII, copied unit by unit without a call into C++;
    // anything else is UTF-8 by Node, over what was copied so far.
    if (unit >= 0x80) return writeUtf8(buffer, text, at, end);
    if (unit === 0) return -1;
    buffer[at + index] = unit;
  }
  return at + length;
}

function writeUtf8(buffer: Buffer, text: string, at: number, end: number): number {
  // UTF-8 is at most 3 bytes per UTF-16 unit; only a text that might not fit is measured.
  if (text.includes(SEP) || (at + text.length * 3 > end && at + Buffer.byteLength(text) > end)) return -1;
  return at + buffer.write(text, at);
}

/** The metadata {@link requestText} (or {@link writeRequest}) wrote. */
export function requestFromText(text: string): RunRequestMetadata {
  if (text.startsWith(JSON_FORM)) return JSON.parse(text) as RunRequestMetadata;
  const fields = text.split(SEP);
  const headers: Record<string, string> = {};
  for (let index = 1; index + 1 < fields.length; index += 2) setHeader(headers, fields[index]!, fields[index + 1]!);
  const bytes = Number(fields[0]);
  return Object.hasOwn(headers, "content-type") ? { headers, contentType: headers["content-type"], bytes } : { headers, bytes };
}
