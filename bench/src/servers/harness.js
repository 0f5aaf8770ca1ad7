import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { TOKEN } from "../shared.js";

/**
 * Every server calls this once it listens: it reports its port to the bench over IPC, samples its
 * own RSS (the fallback when /proc/<pid>/status is not there), and exits when told to, so that
 * `--cpu-prof` can write its profile.
 */
export function ready(server) {
  let peakRss = process.memoryUsage.rss();
  // Where the kernel keeps the peak (VmHWM), the bench reads it there: no sampling cost here.
  if (!existsSync(`/proc/${process.pid}/status`)) {
    const sampler = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
    }, 10);
    sampler.unref();
  }
  process.on("message", (message) => {
    if (message?.type === "peak") process.send({ type: "peak", peakRss, rss: process.memoryUsage.rss() });
    if (message?.type === "cpu") process.send({ type: "cpu", cpu: process.cpuUsage() });
    if (message?.type === "probe") process.send(probe(message.gc === true));
    if (message?.type === "exit") {
      server.close();
      server.closeAllConnections?.();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
  const address = server.address();
  process.send({ type: "ready", port: typeof address === "object" ? address.port : Number(address) });
}

let loopDelay;

/**
 * The soak's look inside (bench/src/soak.js): memory (after a full GC when asked and the process runs
 * with --expose-gc), event-loop delay since the last probe, and live handles (sockets, timers).
 */
function probe(collect) {
  if (collect && typeof globalThis.gc === "function") globalThis.gc();
  const memory = process.memoryUsage();
  const delay = loopDelay ? { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } : undefined;
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  } else loopDelay.reset();
  return { type: "probe", rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, loopDelayMs: delay, resources: process.getActiveResourcesInfo().length };
}

/** Listens on loopback, on a free port, then reports ready. */
export function listen(server) {
  server.listen(0, "127.0.0.1", () => ready(server));
}

// The agent of every server: nothing. The bench measures the endpoint, not the agent.
export function noopAgent() {}

const EXPECTED = createHash("sha256").update(TOKEN).digest();

/**
 * The bearer check a careful developer writes by hand: constant time over SHA-256 digests, like
 * hookrun's. (A plain `===` would be faster and timing-unsafe; that is not the baseline we want.)
 */
export function handBearerOk(authorization) {
  if (typeof authorization !== "string" || !authorization.startsWith("Bearer ")) return false;
  return timingSafeEqual(createHash("sha256").update(authorization.slice(7)).digest(), EXPECTED);
}

/**
 * hookrun's options in every hookrun server: the DEFAULTS a user gets (default memoryRunner(),
 * default limits, default logger), only the webhook itself given. A hookrun server that answers
 * anything but 202 under load fails the round (the bench checks every status).
 */
export function hookrunOptions(core, extra = {}) {
  return {
    webhooks: [{ id: "bench", auth: core.bearer(TOKEN), agent: noopAgent }],
    ...extra,
  };
}
