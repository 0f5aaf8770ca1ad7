import type { IncomingMessage } from "node:http";
import type { InboundRequest } from "../types";

/**
 * An `IncomingMessage` as an `InboundRequest`. When a body parser already read the body and kept
 * the raw bytes (`req.rawBody`), pass them as `rawBody`; hookrun then verifies and parses exactly
 * those bytes. Without them, a consumed body is answered with an error telling the developer to
 * mount hookrun before the parser.
 */
export function toInboundRequest(req: IncomingMessage, webhookId: string, rawBody?: Uint8Array | string): InboundRequest {
  const headers = withRepeatedAuthorization(req);
  if (rawBody !== undefined) return { method: req.method ?? "GET", webhookId, headers: asParsed(headers), body: rawBody };
  // perf: Node's headers object and the request stream are used as they are: no copy, no wrapper.
  return { method: req.method ?? "GET", webhookId, headers, body: req };
}

/**
 * Body parsers (body-parser, co-body) inflate gzip/deflate/br before they keep the raw bytes, so
 * those bytes are no longer what `Content-Encoding` and `Content-Length` describe: drop both
 * rather than decode twice or call the length a lie.
 */
function asParsed(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  if (headers["content-encoding"] === undefined && headers["content-length"] === undefined) return headers;
  const { "content-encoding": _encoding, "content-length": _length, ...rest } = headers;
  return rest;
}

const AUTHORIZATION = "authorization";

/**
 * Node keeps only the first of several `Authorization` headers in `req.headers`, which would let a
 * valid first value win over whatever follows. Repeated credentials are ambiguous: hand them all
 * over so the verifiers see the repetition and refuse it.
 */
function withRepeatedAuthorization(req: IncomingMessage): Record<string, string | string[] | undefined> {
  // A hand-made IncomingMessage look-alike may have no rawHeaders.
  const raw = req.rawHeaders ?? [];
  let values: string[] | undefined;
  let first: string | undefined;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length !== AUTHORIZATION.length || name.toLowerCase() !== AUTHORIZATION) continue;
    if (first === undefined) first = raw[index + 1]!;
    else (values ??= [first]).push(raw[index + 1]!);
  }
  // perf: the common case (zero or one Authorization header) keeps Node's object, uncopied.
  return values === undefined ? req.headers : { ...req.headers, authorization: values };
}
