import { AsyncResource } from "node:async_hooks";
import type { Readable } from "node:stream";
import { Buffer } from "node:buffer";
import { HookrunError } from "../errors";
import type { InboundBody, InboundHeaders } from "../types";
import { getHeader } from "../http/headers";
import type { DeadlineEntry, Deadlines } from "../timers/deadlines";

const DECIMAL = /^[0-9]+$/;
const EMPTY = new Uint8Array(0);

/**
 * Refuses a body whose declared `Content-Length` is over `limit` (or is not a plain decimal
 * integer) before a single byte of it is read. Returns the declared length, when there is one.
 */
export function checkDeclaredLength(headers: InboundHeaders, limit: number): number | undefined {
  const declared = getHeader(headers, "content-length");
  if (declared === undefined) return undefined;
  if (!DECIMAL.test(declared)) {
    throw new HookrunError("payload_too_large", "The Content-Length header must be a decimal integer.");
  }
  // Longer than 16 digits is over any limit, and Number() would lose precision on it.
  if (declared.length > 16 || Number(declared) > limit) throw tooLarge(limit);
  return Number(declared);
}

/** How a body is read besides its size limit. */
export interface ReadBodyOptions {
  /** The `Content-Length` the client declared: a body of any other length is refused. */
  declaredLength?: number | undefined;
  /** Longest wait for the whole body, in ms (`408 request_timeout` after). Unset: no timer. */
  timeoutMs?: number | undefined;
  /** Shared timers of `timeoutMs` (the pipeline's): Node bodies use them instead of a timer each. */
  deadlines?: Deadlines | undefined;
}

/**
 * Reads the whole body into memory, counting real bytes whatever was declared, and stops at the
 * first byte over `limit`: memory per request is bounded by the limit plus one chunk.
 */
export function readLimitedBody(body: InboundBody, limit: number, options: ReadBodyOptions = {}): Uint8Array | Promise<Uint8Array> | PendingBody {
  const { declaredLength, timeoutMs } = options;
  if (body === null || body === undefined) return matchDeclared(EMPTY, declaredLength);
  if (typeof body === "string") return matchDeclared(fromWhole(Buffer.from(body, "utf8"), limit), declaredLength);
  if (body instanceof Uint8Array) return matchDeclared(fromWhole(body, limit), declaredLength);
  // perf: Node's own stream checks the length where it ends; no extra promise on the hot path.
  if (isNodeReadable(body)) return readNodeReadable(body, limit, options);
  if (isFetchBody(body)) return readFetchBody(body, limit, options);
  const read = isWebStream(body) ? readWebStream(body, limit, timeoutMs) : readAsyncIterable(body, limit, timeoutMs);
  return declaredLength === undefined ? read : read.then((bytes) => matchDeclared(bytes, declaredLength));
}

/**
 * A framework may hand over bytes that disagree with what the client declared (a proxy, a buffered
 * body): a lie about the length is refused rather than guessed around.
 */
function matchDeclared(bytes: Uint8Array, declared: number | undefined): Uint8Array {
  if (declared === undefined || bytes.byteLength === declared) return bytes;
  if (bytes.byteLength < declared) throw cutOff();
  throw new HookrunError("invalid_json", "The request body is longer than its Content-Length header says.");
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
 * perf: what node:http code written by hand does ('data' and 'end' listeners), with the same
 * three listener functions for every request (their state is one object on the stream), no
 * listener removed, and the body timeout in the pipeline's shared {@link Deadlines} (no timer per
 * request).
 */
function readNodeReadable(stream: Readable, limit: number, options: ReadBodyOptions): Uint8Array | PendingBody {
  if (stream.readableEnded || stream.readableDidRead) throw alreadyConsumed();
  if (stream.destroyed) throw cutOff();
  if ((stream as { complete?: unknown }).complete === true) return matchDeclared(readReceived(stream, limit), options.declaredLength);
  const read = new NodeBodyRead(stream, limit, options);
  (stream as Readable & { [READ]?: NodeBodyRead })[READ] = read;
  stream.on("data", onNodeData);
  stream.on("end", onNodeEnd);
  // 'close' without 'end' first: the client went away. (No 'error' listener: without one, an
  // IncomingMessage emits no 'error', only 'close'.)
  stream.on("close", onNodeClose);
  if (options.deadlines) options.deadlines.add(read);
  else if (options.timeoutMs !== undefined) read.timer = setTimeout(() => read.expired(), options.timeoutMs);
  return read;
}

/**
 * A body read still under way. `then` is called once, right away; one of its callbacks runs later,
 * inside the stream event (or the timer) that ends the read, so the caller's next step runs in
 * that same turn. @internal
 */
export interface PendingBody {
  then(onBody: (bytes: Uint8Array) => void, onError: (error: HookrunError) => void): void;
}

const READ = Symbol("hookrun.bodyRead");

type ReadStream = Readable & { [READ]?: NodeBodyRead };

/**
 * One Node body read in progress. An AsyncResource: the stream's events run in the socket's async
 * context, and the callbacks must run in the request's (a tracing span, a logger's
 * AsyncLocalStorage), as a promise's would. @internal
 */
class NodeBodyRead extends AsyncResource implements DeadlineEntry, PendingBody {
  /** The only chunk, until a second one comes (most small bodies are one chunk). */
  first: Buffer | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  received = 0;
  settled = false;
  resolve: (bytes: Uint8Array) => void = ignore;
  reject: (error: HookrunError) => void = ignore;
  timer: NodeJS.Timeout | undefined = undefined;
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineAt = 0;

  constructor(
    readonly stream: Readable,
    readonly limit: number,
    readonly options: ReadBodyOptions,
  ) {
    super("hookrun.BodyRead");
  }

  // perf: callbacks instead of a promise: the pipeline goes on inside 'end', no microtask later.
  then(onBody: (bytes: Uint8Array) => void, onError: (error: HookrunError) => void): void {
    this.resolve = onBody;
    this.reject = onError;
  }

  /** Stops the read: later events are ignored; the stream is paused when the client must be stopped. */
  settle(pause: boolean): void {
    this.settled = true;
    if (this.options.deadlines) this.options.deadlines.remove(this);
    else clearTimeout(this.timer);
    // A stalled or oversized client only gets paused: the response writer closes politely.
    if (pause) this.stream.pause();
  }

  /** The body timeout. */
  expired(): void {
    if (this.settled) return;
    this.settle(true);
    this.fail(timedOut(this.options.timeoutMs ?? 0));
  }

  succeed(bytes: Uint8Array): void {
    this.runInAsyncScope(this.resolve, undefined, bytes);
  }

  fail(error: HookrunError): void {
    this.runInAsyncScope(this.reject, undefined, error);
  }
}

function onNodeData(this: ReadStream, chunk: Buffer | string): void {
  const read = this[READ];
  if (read === undefined || read.settled) return;
  const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
  read.received += bytes.byteLength;
  if (read.received > read.limit) {
    read.settle(true);
    read.first = read.chunks = undefined;
    read.fail(tooLarge(read.limit));
    return;
  }
  if (read.first === undefined) read.first = bytes;
  else (read.chunks ??= [read.first]).push(bytes);
}

function onNodeEnd(this: ReadStream): void {
  const read = this[READ];
  if (read === undefined || read.settled) return;
  read.settle(false);
  let bytes: Uint8Array;
  try {
    bytes = matchDeclared(read.chunks ? Buffer.concat(read.chunks, read.received) : (read.first ?? EMPTY), read.options.declaredLength);
  } catch (error) {
    return read.fail(error as HookrunError);
  }
  read.succeed(bytes);
}

function onNodeClose(this: ReadStream): void {
  const read = this[READ];
  if (read === undefined || read.settled) return;
  read.settle(false);
  read.fail(cutOff());
}

/**
 * The body of a Fetch `Request`, as `@hookrun/core/fetch` hands it over: iterable like any stream,
 * and able to read itself whole when its length is known. @internal
 */
export interface FetchBody extends AsyncIterable<Uint8Array> {
  readonly [FETCH_BODY]: true;
  /** Whether the request's body was already read by someone else. */
  readonly used: boolean;
  /** The request's body stream (made on first access by some servers). */
  stream(): ReadableStream<Uint8Array> | null;
  /** The whole body (`Request#arrayBuffer()`). */
  whole(): Promise<ArrayBuffer>;
}

/** Marks a {@link FetchBody}. @internal */
export const FETCH_BODY = Symbol("hookrun.fetchBody");

function isFetchBody(body: object): body is FetchBody {
  return (body as Partial<FetchBody>)[FETCH_BODY] === true;
}

/**
 * A Fetch body. With a declared Content-Length within the limit, the HTTP server's framing stops
 * the body at that length, so it is read whole with `arrayBuffer()` (and refused if it disagrees).
 * perf: on `@hono/node-server` that reads the IncomingMessage directly, where touching
 * `request.body` first builds a full Request and a ReadableStream. Otherwise (chunked, no length)
 * the stream is read chunk by chunk and counted.
 */
function readFetchBody(body: FetchBody, limit: number, options: ReadBodyOptions): Promise<Uint8Array> | Uint8Array {
  if (body.used) return Promise.reject(alreadyConsumed());
  const { declaredLength, timeoutMs, deadlines } = options;
  if (declaredLength === undefined || declaredLength > limit || deadlines === undefined || timeoutMs === undefined) {
    const stream = body.stream();
    if (stream === null) return matchDeclared(EMPTY, declaredLength);
    const read = readWebStream(stream, limit, timeoutMs);
    return declaredLength === undefined ? read : read.then((bytes) => matchDeclared(bytes, declaredLength));
  }
  return new Promise((resolve, reject) => {
    const wait = new WholeRead(reject, timeoutMs, deadlines);
    deadlines.add(wait);
    body.whole().then(
      (buffer) => {
        if (!wait.settle()) return;
        try {
          resolve(matchDeclared(new Uint8Array(buffer), declaredLength));
        } catch (error) {
          reject(error);
        }
      },
      () => {
        if (wait.settle()) reject(cutOff());
      },
    );
  });
}

/** The body timeout of a whole Fetch read. @internal */
class WholeRead implements DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineAt = 0;
  private settled = false;

  constructor(
    private readonly reject: (error: HookrunError) => void,
    private readonly timeoutMs: number,
    private readonly deadlines: Deadlines,
  ) {}

  /** `true` the first time: the read is over, its timer no longer counts. */
  settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.deadlines.remove(this);
    return true;
  }

  expired(): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(timedOut(this.timeoutMs));
  }
}

/**
 * An IncomingMessage whose body the HTTP parser already received whole (small bodies, usually:
 * headers and body in one packet) holds it all in its buffer: take it in one `read()`.
 * perf: no promise, listeners, closures or timer, and no flowing-mode round trips through nextTick.
 */
function readReceived(stream: Readable, limit: number): Uint8Array {
  if (stream.readableLength > limit) throw tooLarge(limit);
  const data: Buffer | string | null = stream.read();
  if (data === null) return EMPTY;
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

async function readWebStream(stream: ReadableStream<Uint8Array>, limit: number, timeoutMs: number | undefined): Promise<Uint8Array> {
  if (stream.locked) throw alreadyConsumed();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  const deadline = startDeadline(timeoutMs, () => reader.cancel().catch(ignore));
  try {
    for (;;) {
      const { done, value } = await deadline.race(reader.read());
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
    deadline.clear();
    reader.releaseLock();
  }
}

async function readAsyncIterable(iterable: AsyncIterable<Uint8Array>, limit: number, timeoutMs: number | undefined): Promise<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let received = 0;
  const deadline = startDeadline(timeoutMs, () => iterator.return?.()?.catch(ignore));
  try {
    for (;;) {
      const { done, value } = await deadline.race(iterator.next());
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
  } finally {
    deadline.clear();
  }
}

interface Deadline {
  race<T>(step: Promise<T>): Promise<T>;
  clear(): void;
}

const NO_DEADLINE: Deadline = { race: (step) => step, clear: ignore };

/** One timer for a whole read: every awaited step races it; on expiry the source is told to stop. */
function startDeadline(timeoutMs: number | undefined, stopSource: () => unknown): Deadline {
  if (timeoutMs === undefined) return NO_DEADLINE;
  let expire: (error: HookrunError) => void = ignore;
  const expired = new Promise<never>((_, reject) => {
    expire = reject;
  });
  expired.catch(ignore);
  const timer = setTimeout(() => {
    // Reject first: stopping the source may settle the pending read as "done", which must not win.
    expire(timedOut(timeoutMs));
    stopSource();
  }, timeoutMs);
  return {
    race: (step) => Promise.race([step, expired]),
    clear: () => clearTimeout(timer),
  };
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

function timedOut(timeoutMs: number): HookrunError {
  return new HookrunError("request_timeout", `The request body was not received within ${timeoutMs} ms.`);
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
