import { Server as NetServer } from "node:net";

const ACCEPT_DRAIN_MS = 500;

/**
 * Graceful shutdown of an HTTP server that serves hookrun, on SIGINT/SIGTERM:
 *
 * 1. `hooks.close()`: from now on hookrun answers `503 shutting_down` with `Retry-After`; runs
 *    already accepted finish (memoryRunner) or stay in Redis (bullmqRunner).
 * 2. After half a second (connections already queued in the kernel get accepted and answered),
 *    stop accepting connections, but keep the open ones: `http.Server.close()` would also close the
 *    idle ones at once (Node 19+), and a connection whose request bytes are not read yet counts as
 *    idle: its client would see a reset. `net.Server.close()` only stops listening.
 * 3. Every request in flight is answered in full, with `Connection: close`, so no client sends a
 *    new request on a connection about to go; once none is in flight, idle connections are closed.
 * 4. Exit 0 once the server has no connection left and hookrun is closed; after `graceMs`, close
 *    what is left and exit 1.
 *
 * @param {import("node:http").Server} server
 * @param {import("@hookrun/core").InboundWebhooks} hooks
 * @param {{ graceMs?: number, signals?: NodeJS.Signals[] }} [options] `graceMs` default 10_000.
 */
export function closeOnSignals(server, hooks, { graceMs = 10_000, signals = ["SIGINT", "SIGTERM"] } = {}) {
  let closing = false;
  let inFlight = 0;
  server.prependListener("request", (_req, res) => {
    inFlight += 1;
    res.once("close", () => (inFlight -= 1));
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
    await new Promise((resolve) => setTimeout(resolve, ACCEPT_DRAIN_MS));
    const stopped = new Promise((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    // Only idle connections, and only while no request is in flight: bytes a client sent just
    // before the signal may not be read yet, and closing such a connection resets it.
    const sweep = setInterval(() => {
      if (inFlight === 0) server.closeIdleConnections();
    }, 100);
    await hooksClosed;
    await stopped;
    clearInterval(sweep);
    clearTimeout(forced);
    process.exit(0);
  }

  for (const signal of signals) process.once(signal, () => void shutdown());
}
