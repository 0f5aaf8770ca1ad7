import { setHeader } from "./stored-headers";
import type { RunRequestMetadata } from "./types";

// HTTP forbids NUL in header names and values (Node's parser and Fetch `Headers` refuse it), so
// it separates fields; anything that carries one anyway is kept as JSON instead, exactly.
const SEP = "\0";
const JSON_FORM = "{";

/**
 * A run's request metadata as the in-memory store keeps it: content type, size, then header
 * name/value pairs, NUL-separated. perf: about half the cost of `JSON.stringify` on every request,
 * and decoded only when someone reads the run.
 */
export function requestText(request: RunRequestMetadata): string {
  const { headers, contentType } = request;
  let text = (contentType === undefined ? "-" : `+${contentType}`) + SEP + request.bytes;
  if (contentType !== undefined && contentType.includes(SEP)) return JSON.stringify(request);
  for (const name in headers) {
    const value = headers[name]!;
    if (name.includes(SEP) || value.includes(SEP)) return JSON.stringify(request);
    text += SEP + name + SEP + value;
  }
  return text;
}

/** The metadata {@link requestText} wrote. */
export function requestFromText(text: string): RunRequestMetadata {
  if (text.startsWith(JSON_FORM)) return JSON.parse(text) as RunRequestMetadata;
  const fields = text.split(SEP);
  const headers: Record<string, string> = {};
  for (let index = 2; index + 1 < fields.length; index += 2) setHeader(headers, fields[index]!, fields[index + 1]!);
  const first = fields[0]!;
  const bytes = Number(fields[1]);
  return first.startsWith("+") ? { headers, contentType: first.slice(1), bytes } : { headers, bytes };
}
