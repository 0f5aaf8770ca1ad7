import { Server as NetServer } from "node:net";

const ACCEPT_DRAIN_MS = 500;
// A connection that has sent no request yet is left this long after the signal: its bytes may be
// on their way, or read by the kernel but not yet by Node (closing it then resets it).
const FRESH_CONNECTION_MS = 3_000;

/**
 * Graceful shutdown of an HTTP server that serves hookrun, on SIGINT/SIGTERM:
 *
 * 1. `hooks.close()`: from now on hookrun answers `503 shutting_down` with `Retry-After`; runs
 *    already accepted finish (memoryRunner) or stay in Redis (bullmqRunner).
 * 2. After half a second, and once two turns of the event loop accepted nothing more (connections
 *    already queued in the kernel get accepted and answered; closing the listener would reset them),
 *    stop accepting connections, but keep the open ones: `http.Server.close()` would also close the
 *    idle ones at once (Node 19+), and a connection whose request bytes are not read yet counts as
 *    idle: its client would see a reset. `net.Server.close()` only stops listening.
 * 3. Every request in flight is answered in full, with `Connection: close`, so no client sends a
 *    new request on a connection about to go; keep-alive connections between requests are closed,
 *    and a connection that never sent a request after 3 s.
 * 4. Exit 0 once the server has no connection left and hookrun is closed; after `graceMs`, close
 *    what is left and exit 1.
 *
 * @param {import("node:http").Server} server
 * @param {import("@hookrun/core").InboundWebhooks} hooks
 * @param {{ graceMs?: number, signals?: NodeJS.Signals[] }} [options] `graceMs` default 10_000.
 */
export function closeOnSignals(server, hooks, { graceMs = 10_000, signals = ["SIGINT", "SIGTERM"] } = {}) {
  let closing = false;
  /** Every open connection: is a request on it being answered, has one been answered. */
  const connections = new Map();
  let accepted = 0;
  server.on("connection", (socket) => {
    accepted += 1;
    connections.set(socket, { busy: false, served: false });
    socket.once("close", () => connections.delete(socket));
  });
  server.prependListener("request", (req, res) => {
    const state = connections.get(req.socket);
    if (state) state.busy = true;
    res.once("close", () => {
      if (state) Object.assign(state, { busy: false, served: true });
    });
    if (closing) res.setHeader("connection", "close");
  });

  async function shutdown() {
    if (closing) return;
    closing = true;
    const forced = setTimeout(() => {
      process.stderr.write(`shutdown: still busy after ${graceMs} ms; closing the remaining connections\n`);
      server.closeAllConnections();
      process.exit(1);
    }, graceMs);
    const hooksClosed = hooks.close({ timeoutMs: Math.max(graceMs - 1_000, 0) });
    // Keep listening a moment: connections the kernel has completed but Node has not accepted yet
    // would be reset by closing the listening socket; accepted, they get their answer (503 now).
    // Then until two turns of the event loop in a row accepted nothing: each poll phase accepts all
    // that is queued, and a loop busy for longer than the timer would otherwise close first.
    await new Promise((resolve) => setTimeout(resolve, ACCEPT_DRAIN_MS));
    for (let quiet = 0; quiet < 2; ) {
      const before = accepted;
      await new Promise((resolve) => setTimeout(resolve, 20));
      quiet = accepted === before ? quiet + 1 : 0;
    }
    const stopped = new Promise((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    // Close keep-alive connections between requests; one that never sent a request only after a
    // while (Node's closeIdleConnections() would close it at once, resetting bytes not read yet).
    const signalledAt = Date.now();
    const sweep = setInterval(() => {
      const freshExpired = Date.now() - signalledAt > FRESH_CONNECTION_MS;
      for (const [socket, state] of connections) if (!state.busy && (state.served || freshExpired)) socket.end();
    }, 100);
    await hooksClosed;
    await stopped;
    clearInterval(sweep);
    clearTimeout(forced);
    process.exit(0);
  }

  for (const signal of signals) process.once(signal, () => void shutdown());
}
