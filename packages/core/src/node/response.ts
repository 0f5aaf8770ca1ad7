import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Buffer } from "node:buffer";
import type { InboundResponse } from "../types";

// Bounds on how long and how much an unread body is drained after an early answer.
const LINGER_MS = 5_000;
const LINGER_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Writes an `InboundResponse` to a `ServerResponse`.
 *
 * When the answer comes before the request body was read to its end (401, 413, ...), the
 * connection is closed (`Connection: close`), after a lingering close: the client may still be
 * uploading, and closing a socket with unread bytes makes the kernel send a reset that can destroy
 * the answer before the client reads it.
 */
export function writeInboundResponse(res: ServerResponse, response: InboundResponse): void {
  const req = res.req as IncomingMessage | undefined;
  if (req && !bodyFullyRead(req) && res.socket) {
    res.setHeader("connection", "close");
    lingerBeforeClose(req, res.socket);
  }
  // perf: one writeHead with every field takes Node's fast path (no setHeader bookkeeping per
  // header) when nothing else set a header; with Content-Length given the body is not chunked. The
  // fields go as Node's flat [name, value, ...] list: a spread of the answer's headers plus
  // "content-length" made V8 build a new hidden class (and Node's Object.keys a new enum cache)
  // for every response.
  const { headers } = response;
  const fields: Array<string | number> = [];
  for (const name in headers) if (name !== CONTENT_LENGTH) fields.push(name, headers[name]!);
  fields.push(CONTENT_LENGTH, Buffer.byteLength(response.body));
  res.writeHead(response.status, fields).end(response.body);
}

const CONTENT_LENGTH = "content-length";

/**
 * True when no body byte is left unread: the stream ended, or (a body taken in one `read()`, whose
 * 'end' event is still on its way) the whole message arrived and its buffer is empty.
 */
function bodyFullyRead(req: IncomingMessage): boolean {
  return req.readableEnded || (req.complete && req.readableLength === 0);
}

/**
 * Node closes a `Connection: close` response with `socket.destroySoon()`. For this one socket,
 * replace it: send FIN after the answer, keep reading and discarding what the client still sends
 * (bounded in time and bytes), then destroy.
 */
function lingerBeforeClose(req: IncomingMessage, socket: Socket): void {
  socket.destroySoon = function lingeringDestroySoon(this: Socket) {
    if (this.writable) this.end();
    let discarded = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", stop);
      this.off("close", stop);
      this.destroy();
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.byteLength;
      if (discarded > LINGER_MAX_BYTES) stop();
    };
    const timer = setTimeout(stop, LINGER_MS);
    timer.unref();
    req.on("data", onData);
    req.on("end", stop);
    this.on("close", stop);
    req.resume();
  };
}
