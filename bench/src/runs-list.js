// Scenario "runs-list" of `pnpm bench` (see BENCHMARKS.md "Run records"): fills each run store
// (memory, Redis) with N runs through the RunStore interface, then times `hooks.runs.list` pages
// (first page, a deep cursor, status, webhook + status, delivery id, time range) and
// `replayMany(..., { dryRun })` counts; and measures the in-memory store's heap per record.
// Runs in a child process with --expose-gc so the heap numbers are after a full GC.
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = fileURLToPath(import.meta.url);
const WEBHOOKS = ["orders", "alerts", "github", "stripe", "crm"];
const PAGE = 50;
const TARGET_MS = 50;

/** The scenario entry point (bench/src/run.js SCENARIOS). */
export async function run({ smoke, failures }) {
  const runs = smoke ? 2_000 : 100_000;
  const { stdout } = await promisify(execFile)(process.execPath, ["--expose-gc", here, "--child", String(runs), smoke ? "smoke" : "full"], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 600_000,
  });
  const json = JSON.parse(stdout.trim().split("\n").pop());
  for (const store of json.stores) {
    for (const query of store.queries) {
      if (query.runs === 0) failures.push(`runs-list ${store.name} ${query.name}: no runs returned`);
      // The target is the typical page; p99 is reported as measured (GC pauses, a shared machine).
      if (!smoke && query.medianMs >= TARGET_MS) failures.push(`runs-list ${store.name} ${query.name}: median ${query.medianMs} ms, target < ${TARGET_MS} ms`);
    }
  }
  return { text: table(json), json };
}

function table(json) {
  const lines = [
    `### Run records: a page of ${PAGE} out of ${json.runs.toLocaleString("en-US")} stored runs`,
    "",
    "| store | query | runs | median ms | p99 ms |",
    "| --- | --- | ---: | ---: | ---: |",
  ];
  for (const store of json.stores) {
    for (const query of store.queries) lines.push(`| ${store.name} | ${query.name} | ${query.runs} | ${query.medianMs} | ${query.p99Ms} |`);
  }
  lines.push("");
  for (const store of json.stores) lines.push(`- ${store.name}: filled in ${store.fillMs} ms${store.note ? `; ${store.note}` : ""}`);
  for (const memory of json.memory) {
    lines.push(
      `- memory store, ${memory.runs.toLocaleString("en-US")} runs of ${memory.payloadBytes} B payloads: heap + array buffers +${mib(memory.heapBytes)} MiB (${Math.round(memory.heapBytes / memory.runs)} B/run), store's own estimate ${mib(memory.estimatedBytes)} MiB (${Math.round(memory.estimatedBytes / memory.runs)} B/run)`,
    );
  }
  return lines.join("\n");
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

// ---- child ----

async function child(runs, mode) {
  const core = await import("@hookrun/core");
  const { bullmqRunner } = await import("@hookrun/bullmq");
  const iterations = mode === "smoke" ? 20 : 200;
  const payload = Buffer.from(JSON.stringify({ event: "order.created", id: "x".repeat(960) }));
  const stores = [];

  const memory = [];
  memory.push(await measureMemory(core, 1_000, payload));
  memory.push(await measureMemory(core, runs, payload));

  const memoryStore = core.memoryRunStore({ maxRuns: runs, maxBytes: 2 ** 40 });
  stores.push(await measure(core, "memory", memoryStore, runs, payload, iterations));

  const redis = await startRedis();
  try {
    const runner = bullmqRunner({ connection: { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null }, prefix: "bench", queueName: "runs" });
    const store = runner.createRunStore({ maxRuns: runs, maxAgeMs: 86_400_000, maxBytes: 2 ** 40, maxRefused: 1_000 });
    const result = await measure(core, "redis", store, runs, payload, iterations);
    result.note = `redis-server ${redis.version}, same machine`;
    stores.push(result);
    await runner.close();
  } finally {
    redis.stop();
  }
  process.stdout.write(`${JSON.stringify({ runs, stores, memory })}\n`);
}

/** Heap growth of a memory store holding `runs` finished runs, after a full GC. */
async function measureMemory(core, runs, payload) {
  const used = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  // ArrayBuffer memory is released a moment after the GC that freed its owner: settle first.
  const settle = async () => {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
    globalThis.gc();
  };
  await settle();
  const before = used();
  const store = core.memoryRunStore({ maxRuns: runs, maxBytes: 2 ** 40 });
  await fill(store, runs, payload, 0);
  // The store applies its writes in a batch (on the next turn, or now when read): apply them now,
  // so the bodies they held are garbage before the first GC of settle(), not after it.
  if (store.size !== runs) throw new Error(`memory store holds ${store.size} of ${runs} runs`);
  await settle();
  const heapBytes = used() - before;
  // Reading the estimate after settle() also keeps the store alive until it is measured.
  return { runs, payloadBytes: payload.byteLength, heapBytes, estimatedBytes: store.bytes };
}

/** Writes `runs` runs through the RunStore interface, as the recorder does: created, then an attempt. */
async function fill(store, runs, payload, baseTime) {
  const start = baseTime || Date.now() - runs;
  let pending = [];
  for (let i = 0; i < runs; i++) {
    const runId = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    const webhookId = WEBHOOKS[i % WEBHOOKS.length];
    const receivedAt = start + i;
    const seed = { runId, webhookId, deliveryId: `delivery-${i}`, receivedAt };
    const failed = i % 10 === 3;
    const request = { headers: { "content-type": "application/json", "user-agent": "bench" }, contentType: "application/json", bytes: payload.byteLength };
    const end = {
      attempt: 1,
      startedAt: receivedAt,
      finishedAt: receivedAt + 1,
      durationMs: 1,
      status: failed ? "failed" : "succeeded",
      logs: [`{"time":${receivedAt},"level":"info","message":"handled","fields":{"i":${i}}}`],
      ...(failed ? { error: { name: "Error", message: "agent failed", stack: "Error: agent failed\n    at agent (bench.js:1:1)" } } : { resultJson: '{"ok":true}' }),
    };
    // Each run its own bytes, as each request body is.
    const a = store.created({ ...seed, payloadJson: new Uint8Array(payload), request });
    const b = store.attemptFinished(seed, end);
    if (a) pending.push(a);
    if (b) pending.push(b);
    if (pending.length >= 2_000) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  return start;
}

async function measure(core, name, store, runs, payload, iterations) {
  const fillStarted = performance.now();
  const start = await fill(store, runs, payload, 0);
  const fillMs = Math.round(performance.now() - fillStarted);
  const hooks = core.createInboundWebhooks({ webhooks: [], runs: { store } });
  // A cursor half-way down: what "next page" costs deep into the list.
  let cursor;
  for (let seen = 0; seen < runs / 2; seen += 500) cursor = (await hooks.runs.list({ limit: 500, ...(cursor ? { cursor } : {}) })).nextCursor;
  const middle = start + Math.floor(runs / 2);
  const queries = [
    ["first page", () => hooks.runs.list({ limit: PAGE })],
    ["page at the middle (cursor)", () => hooks.runs.list({ limit: PAGE, cursor })],
    ["status=failed", () => hooks.runs.list({ status: "failed", limit: PAGE })],
    ["webhookId+status=failed", () => hooks.runs.list({ webhookId: "stripe", status: "failed", limit: PAGE })],
    ["deliveryId", () => hooks.runs.list({ deliveryId: `delivery-${Math.floor(runs / 3)}` })],
    ["since/until (middle 10%)", () => hooks.runs.list({ since: middle - runs / 20, until: middle + runs / 20, limit: PAGE })],
    ["get(runId)", async () => ({ runs: [await hooks.runs.get(`00000000-0000-4000-8000-${String(Math.floor(runs / 4)).padStart(12, "0")}`)] })],
    ["replayMany dryRun count (status=failed)", async () => ({ count: (await hooks.runs.replayMany({ status: "failed" }, { dryRun: true })).matched })],
  ];
  const results = [];
  for (const [query, fn] of queries) {
    const times = [];
    let count = 0;
    for (let i = 0; i < iterations + 5; i++) {
      const t0 = performance.now();
      const page = await fn();
      const ms = performance.now() - t0;
      if (i >= 5) times.push(ms);
      count = page.count ?? page.runs.filter(Boolean).length;
    }
    times.sort((a, b) => a - b);
    results.push({ name: query, runs: count, medianMs: round(times[Math.floor(times.length / 2)]), p99Ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]) });
  }
  return { name, fillMs, queries: results };
}

const round = (ms) => Math.round(ms * 100) / 100;

async function startRedis() {
  const port = await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  const version = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("redis-server did not start within 10 s (scripts/ensure-redis.sh installs it)")), 10_000);
    child.once("error", (error) => reject(new Error(`cannot start redis-server (scripts/ensure-redis.sh installs it): ${error.message}`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve(/(?:v=|version=)([\d.]+)/i.exec(out)?.[1] ?? "?");
      }
    });
  });
  return { port, version, stop: () => child.kill("SIGKILL") };
}

if (process.argv[2] === "--child") {
  await child(Number(process.argv[3]), process.argv[4]);
  process.exit(0);
}
