import { connect, type Socket } from "node:net";

/** A response as read off a raw socket. */
export interface RawResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
  /** Resolves when the server closed the connection (FIN or reset). */
  closed: Promise<void>;
}

export interface RawExchangeOptions {
  /** Bytes to keep writing after `request` while waiting for the answer; `chunked` frames them as chunks. */
  keepWriting?: { bytes: number; chunked?: boolean };
  /** Half-close (FIN) after writing, as a client that has nothing more to send. */
  endAfterWrite?: boolean;
  timeoutMs?: number;
}

/**
 * Sends exactly `request` (head and body bytes as given) over a new TCP connection and reads the
 * first final (non-1xx) response. For what `fetch` cannot send: lying Content-Length, invalid
 * UTF-8, chunked bodies over the limit, clients still uploading when the answer comes.
 */
export function rawExchange(port: number, request: string | Buffer, options: RawExchangeOptions = {}): Promise<RawResponse> {
  const socket = connect(port, "127.0.0.1");
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return new Promise<RawResponse>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no response within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received);
      if (!parsed) return;
      clearTimeout(timer);
      resolve({ ...parsed, closed });
    });
    socket.on("error", (error) => fail(error));
    socket.on("close", () => fail(new Error(`connection closed before a full response; got ${JSON.stringify(received.toString("latin1").slice(0, 200))}`)));
    socket.write(request);
    if (options.keepWriting) void writeFiller(socket, options.keepWriting.bytes, options.keepWriting.chunked ?? false);
    else if (options.endAfterWrite) socket.end();
  }).finally(() => setTimeout(() => socket.destroy(), 5_000).unref());
}

async function writeFiller(socket: Socket, total: number, chunked: boolean): Promise<void> {
  const filler = Buffer.alloc(64 * 1024, 0x20);
  const piece = chunked ? chunk(filler) : filler;
  for (let sent = 0; sent < total && !socket.destroyed && socket.writable; sent += filler.length) {
    if (!socket.write(piece)) await new Promise<void>((resolve) => {
      socket.once("drain", resolve);
      socket.once("close", resolve);
    });
  }
}

function parseResponse(bytes: Buffer): Omit<RawResponse, "closed"> | undefined {
  let offset = 0;
  for (;;) {
    const headEnd = bytes.indexOf("\r\n\r\n", offset);
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = bytes.subarray(offset, headEnd).toString("latin1").split("\r\n");
    const status = Number(statusLine!.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      offset = bodyStart; // 100 Continue: the final response follows
      continue;
    }
    if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
      const body = dechunk(bytes.subarray(bodyStart));
      return body === undefined ? undefined : { status, headers, body };
    }
    const length = Number(headers["content-length"] ?? 0);
    if (bytes.length - bodyStart < length) return undefined;
    return { status, headers, body: bytes.subarray(bodyStart, bodyStart + length).toString("utf8") };
  }
}

function dechunk(bytes: Buffer): string | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", offset);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString("latin1"), 16);
    if (size === 0) return Buffer.concat(parts).toString("utf8");
    const start = lineEnd + 2;
    if (bytes.length < start + size + 2) return undefined;
    parts.push(bytes.subarray(start, start + size));
    offset = start + size + 2;
  }
}

/** An HTTP/1.1 request head (CRLF line ends, blank line included). */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** One chunk of a chunked body. */
export function chunk(data: string | Buffer): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
}
