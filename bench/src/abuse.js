import { connect } from "node:net";

const CHUNK = Buffer.alloc(64 * 1024, "a");
const CHUNK_FRAME_HEAD = Buffer.from(`${CHUNK.length.toString(16)}\r\n`);
const CRLF = Buffer.from("\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/**
 * `clients` connections to 127.0.0.1:`port` at once, each streaming a chunked body of up to
 * `bytesEach` bytes (no Content-Length, so the server has to count), ignoring any early answer the
 * way a broken or hostile sender would, until it has sent everything, the server closed the
 * connection, or `timeoutMs` passed. Resolves with what each client saw.
 */
export async function abuse({ port, path, headers, clients, bytesEach, timeoutMs }) {
  const started = performance.now();
  const outcomes = await Promise.all(Array.from({ length: clients }, () => oneClient(port, path, headers, bytesEach, timeoutMs)));
  const statuses = {};
  let sent = 0;
  for (const outcome of outcomes) {
    statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
    sent += outcome.sent;
  }
  return { statuses, sentBytes: sent, durationMs: performance.now() - started };
}

function oneClient(port, path, headers, bytesEach, timeoutMs) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    let sent = 0;
    let status = "none";
    let head = "";
    let finished = false;
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, sent });
    };
    const lines = [`POST ${path} HTTP/1.1`, "Host: 127.0.0.1", "Transfer-Encoding: chunked"];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.on("connect", () => {
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      pump();
    });
    const pump = () => {
      while (!finished && !socket.destroyed && socket.writable) {
        if (sent >= bytesEach) {
          socket.write(LAST_CHUNK);
          if (status !== "none") finish();
          return;
        }
        socket.write(CHUNK_FRAME_HEAD);
        socket.write(CHUNK);
        sent += CHUNK.length;
        if (!socket.write(CRLF)) return void socket.once("drain", pump);
      }
    };
    socket.on("data", (chunk) => {
      if (status !== "none") return;
      head += chunk.toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (match) status = match[1];
      if (match && sent >= bytesEach) finish();
    });
    socket.on("error", () => {});
    socket.on("close", finish);
  });
}
