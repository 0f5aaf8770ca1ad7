import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { HookrunError } from "../errors";
import { getHeader } from "../http/headers";
import type { InboundHeaders } from "../types";

/** A `Content-Encoding` hookrun can decode. */
export type ContentCoding = "gzip" | "deflate" | "br";

const CODINGS: Readonly<Record<string, ContentCoding | "identity">> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "br",
  identity: "identity",
};
// Each layer multiplies the work a few bytes can cause; real senders use one.
const MAX_LAYERS = 2;
const NONE: readonly ContentCoding[] = [];

/**
 * The codings listed in `Content-Encoding`, in the order they were applied, checked before any body
 * byte is read: an unknown one (or more than two layers) is `415 unsupported_encoding`.
 */
export function contentCodings(headers: InboundHeaders): readonly ContentCoding[] {
  const header = getHeader(headers, "content-encoding");
  if (header === undefined) return NONE;
  const codings: ContentCoding[] = [];
  for (const token of header.split(",")) {
    const coding = CODINGS[token.trim().toLowerCase()];
    if (coding === undefined) throw unsupported();
    if (coding !== "identity") codings.push(coding);
  }
  if (codings.length > MAX_LAYERS) throw unsupported();
  return codings;
}

/**
 * Undoes the codings (last applied first), each layer stopped as soon as its output passes `limit`
 * bytes: a small bomb costs at most `limit` plus one zlib chunk of decoded memory, then `413`.
 * The raw bytes stay as they were sent (signatures are checked over them before this runs).
 */
export function decodeBody(raw: Uint8Array, codings: readonly ContentCoding[], limit: number): Uint8Array {
  let bytes = raw;
  for (let index = codings.length - 1; index >= 0; index--) bytes = decodeLayer(bytes, codings[index]!, limit);
  return bytes;
}

function decodeLayer(bytes: Uint8Array, coding: ContentCoding, limit: number): Uint8Array {
  if (bytes.byteLength === 0) return bytes;
  // A truncated stream fails (no partial output accepted), as a truncated plain body does.
  const options = { maxOutputLength: limit };
  try {
    if (coding === "gzip") return gunzipSync(bytes, options);
    if (coding === "deflate") return inflateSync(bytes, options);
    return brotliDecompressSync(bytes, options);
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new HookrunError("payload_too_large", `The decoded request body must be at most ${limit} bytes.`);
    }
    throw new HookrunError("invalid_json", `The request body is not valid ${coding} data; it must be JSON encoded as its Content-Encoding says.`);
  }
}

function unsupported(): HookrunError {
  return new HookrunError("unsupported_encoding", "Content-Encoding must be gzip, deflate, br or identity.");
}
