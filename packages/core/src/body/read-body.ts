import type { Readable } from "node:stream";
import { HookrunError } from "../errors";
import type { InboundBody, InboundHeaders } from "../types";
import { getHeader } from "../http/headers";

const DECIMAL = /^[0-9]+$/;
const EMPTY = new Uint8Array(0);

/**
 * Refuses a body whose declared `Content-Length` is over `limit` (or is not a plain decimal
 * integer) before a single byte of it is read.
 */
export function checkDeclaredLength(headers: InboundHeaders, limit: number): void {
  const declared = getHeader(headers, "content-length");
  if (declared === undefined) return;
  if (!DECIMAL.test(declared)) {
    throw new HookrunError("payload_too_large", "The Content-Length header must be a decimal integer.");
  }
  // Longer than 16 digits is over any limit, and Number() would lose precision on it.
  if (declared.length > 16 || Number(declared) > limit) throw tooLarge(limit);
}

/**
 * Reads the whole body into memory, counting real bytes whatever was declared, and stops at the
 * first byte over `limit`: memory per request is bounded by the limit plus one chunk.
 */
export function readLimitedBody(body: InboundBody, limit: number): Promise<Uint8Array> | Uint8Array {
  if (body === null || body === undefined) return EMPTY;
  if (typeof body === "string") return fromWhole(Buffer.from(body, "utf8"), limit);
  if (body instanceof Uint8Array) return fromWhole(body, limit);
  if (isNodeReadable(body)) return readNodeReadable(body, limit);
  if (isWebStream(body)) return readWebStream(body, limit);
  return readAsyncIterable(body, limit);
}

function fromWhole(bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.byteLength > limit) throw tooLarge(limit);
  return bytes;
}

/**
 * Node's IncomingMessage, read with events rather than its async iterator: no per-chunk promise,
 * and, on overflow, the stream is only paused, never destroyed. Destroying an IncomingMessage
 * destroys its socket, and the client would never see the 413; the Node response writer closes
 * the connection politely instead.
 */
function readNodeReadable(stream: Readable, limit: number): Promise<Uint8Array> | Uint8Array {
  if (stream.readableEnded || stream.readableDidRead) return Promise.reject(alreadyConsumed());
  if (stream.destroyed) return Promise.reject(cutOff());
  if ((stream as { complete?: unknown }).complete === true) return readReceived(stream, limit);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      received += bytes.byteLength;
      if (received > limit) {
        detach();
        stream.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      detach();
      resolve(join(chunks, received));
    };
    const onCutOff = () => {
      detach();
      reject(cutOff());
    };
    const detach = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onCutOff);
      stream.off("close", onCutOff);
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onCutOff);
    stream.on("close", onCutOff);
  });
}

/**
 * An IncomingMessage whose body the HTTP parser already received whole (small bodies, usually:
 * headers and body in one packet) holds it all in its buffer: take it in one `read()`.
 * perf: no promise, listeners or closures, and no flowing-mode round trips through nextTick.
 */
function readReceived(stream: Readable, limit: number): Uint8Array {
  if (stream.readableLength > limit) throw tooLarge(limit);
  const data: Buffer | string | null = stream.read();
  if (data === null) return EMPTY;
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

async function readWebStream(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  if (stream.locked) throw alreadyConsumed();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return join(chunks, received);
      received += value.byteLength;
      if (received > limit) {
        reader.cancel().catch(ignore);
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    throw error instanceof HookrunError ? error : cutOff();
  } finally {
    reader.releaseLock();
  }
}

async function readAsyncIterable(iterable: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) return join(chunks, received);
      const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
      received += bytes.byteLength;
      if (received > limit) {
        // Tell the source we are done, without waiting for it to agree.
        iterator.return?.()?.catch(ignore);
        throw tooLarge(limit);
      }
      chunks.push(bytes);
    }
  } catch (error) {
    throw error instanceof HookrunError ? error : cutOff();
  }
}

function join(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  // perf: a single chunk (most bodies under 64 KiB) is used as it is, not copied.
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, total);
}

function isNodeReadable(body: object): body is Readable {
  const candidate = body as Partial<Readable>;
  return typeof candidate.on === "function" && typeof candidate.pause === "function" && "readableEnded" in candidate;
}

function isWebStream(body: object): body is ReadableStream<Uint8Array> {
  return typeof (body as ReadableStream).getReader === "function";
}

function tooLarge(limit: number): HookrunError {
  return new HookrunError("payload_too_large", `The request body must be at most ${limit} bytes.`);
}

function cutOff(): HookrunError {
  return new HookrunError("invalid_json", "The request body ended before it was complete; it must be a whole JSON document.");
}

function alreadyConsumed(): HookrunError {
  return new HookrunError(
    "internal_error",
    "The request body was already read by another middleware (such as express.json() or a Koa body parser). " +
      "Mount hookrun before any body parser, or keep the raw bytes in req.rawBody.",
  );
}

function ignore(): void {}
