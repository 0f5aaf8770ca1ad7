// `pnpm --filter @hookrun/bench soak` (or `pnpm bench:soak` from the root): see BENCHMARKS.md, "Soak".
// A steady mix of valid, refused and abusive requests against hookrun-node (hookrun's defaults) for
// N minutes; RSS, heap and event-loop delay sampled; the heap after a full GC at the end compared
// with the heap after warm-up. `--smoke` runs it for a few seconds (CI): same checks, same output.
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { parseArgs } from "node:util";
import { PATH_PREFIX, TOKEN, WEBHOOK_ID } from "./shared.js";
import { startServer } from "./spawn.js";

const argv = process.argv.slice(2);
if (argv[0] === "--") argv.shift();
if (argv[0] === "soak") argv.shift(); // `pnpm bench soak` reaches here through run.js
const { values: args } = parseArgs({
  args: argv,
  options: {
    smoke: { type: "boolean", default: false },
    minutes: { type: "string" },
    rate: { type: "string" },
    warmup: { type: "string" },
    sample: { type: "string" },
    json: { type: "string" },
    // `pool`: the "unique" delivery ids cycle through 1,000, so the idempotency map stops growing (a control run).
    ids: { type: "string", default: "unique" },
  },
});
const smoke = args.smoke;
const settings = {
  durationMs: Number(args.minutes ?? (smoke ? 0.25 : 5)) * 60_000,
  rate: Number(args.rate ?? (smoke ? 150 : 200)), // requests per second, all kinds together
  // Long enough for the bounded run store (1,000 runs) to fill before the baseline is taken.
  warmupMs: Number(args.warmup ?? (smoke ? 10 : 30)) * 1000,
  sampleMs: Number(args.sample ?? (smoke ? 2 : 10)) * 1000,
};
// The bound the soak holds the server to: the heap after a full GC at the end may exceed the heap
// after warm-up (also after a full GC) by at most this, plus what the bounded idempotency map may
// legitimately hold for the delivery ids first seen after warm-up (it keeps up to 100,000 for 24 h).
const HEAP_SLACK_BYTES = 4 * 1024 * 1024;
const BYTES_PER_DELIVERY_ID = 400;
const IDEMPOTENCY_MAP_MAX = 100_000;

const PATH = `${PATH_PREFIX}${WEBHOOK_ID}`;
const pooled = args.ids === "pool";
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const body1k = (n) => JSON.stringify({ event: "soak", n, text: "x".repeat(960) });

/** The mix: [kind, weight, expected status, send(n)]. */
const KINDS = [
  ["valid, unique delivery id", 40, 202, (n) => http("POST", PATH, { authorization: `Bearer ${TOKEN}`, "idempotency-key": `soak-${pooled ? n % 1000 : n}` }, body1k(n))],
  // 40 requests back is a "unique" request (slots 0-9 of the 100-slot schedule): a real replay.
  ["valid, repeated delivery id", 10, 202, (n) => http("POST", PATH, { authorization: `Bearer ${TOKEN}`, "idempotency-key": `soak-${pooled ? (n - 40) % 1000 : n - 40}` }, body1k(n))],
  ["valid, no delivery id", 20, 202, (n) => http("POST", PATH, { authorization: `Bearer ${TOKEN}` }, body1k(n))],
  ["wrong token", 8, 401, (n) => http("POST", PATH, { authorization: "Bearer wrong" }, body1k(n))],
  ["unknown webhook", 4, 401, (n) => http("POST", `${PATH_PREFIX}nope-${n % 1000}`, { authorization: `Bearer ${TOKEN}` }, "{}")],
  ["invalid JSON", 5, 400, () => http("POST", PATH, { authorization: `Bearer ${TOKEN}` }, '{"unterminated": ')],
  ["GET", 3, 405, () => http("GET", PATH, { authorization: `Bearer ${TOKEN}` })],
  ["declared 2 MiB", 3, 413, () => raw(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 2097152\r\n\r\n`)],
  ["chunked past 1 MiB", 3, 413, () => raw(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`, { chunkedBytes: 1_200_000 })],
  ["aborted mid-body", 2, "aborted", () => raw(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000\r\n\r\n{"half":`, { abortAfterMs: 200 })],
  ["garbage bytes", 2, 400, () => raw("\x16\x03\x01\x02\x00 not http at all\r\n\r\n")],
];
const totalWeight = KINDS.reduce((sum, [, weight]) => sum + weight, 0);
const schedule = KINDS.flatMap((kind, index) => Array.from({ length: kind[1] }, () => index));

function http(method, path, headers, body) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: server.port, method, path, headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }, agent }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode));
      res.once("error", () => resolve("error"));
    });
    req.once("error", (error) => resolve(`error ${error.code ?? error.message}`));
    req.end(body);
  });
}

const CHUNK = Buffer.alloc(64 * 1024, 0x20);
const CHUNK_FRAME = Buffer.concat([Buffer.from(`${CHUNK.length.toString(16)}\r\n`), CHUNK, Buffer.from("\r\n")]);

/** One request on its own connection; resolves with the status the server answered (or "aborted"). */
function raw(head, { chunkedBytes = 0, abortAfterMs } = {}) {
  return new Promise((resolve) => {
    const socket = connect(server.port, "127.0.0.1");
    let answer = "";
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(result);
    };
    socket.once("connect", async () => {
      socket.write(head);
      if (abortAfterMs !== undefined) return void setTimeout(() => finish("aborted"), abortAfterMs);
      for (let sent = 0; sent < chunkedBytes && !done && socket.writable; sent += CHUNK.length) {
        if (!socket.write(CHUNK_FRAME)) await new Promise((drained) => socket.once("drain", drained).once("close", drained));
      }
    });
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (match) finish(Number(match[1]));
    });
    socket.on("error", () => {});
    socket.on("close", () => finish(answer ? `unparsed ${answer.slice(0, 40)}` : "closed"));
    setTimeout(() => finish("timeout"), 60_000).unref();
  });
}

const counts = KINDS.map(() => new Map());
let sent = 0;
let inFlight = 0;
let skipped = 0;
let uniqueIdsAfterWarmup = 0;
let warm = false;

/** Fires requests at `rate` per second from a 10 ms tick, in the weighted order of `schedule`. */
function runTraffic(untilMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * settings.rate);
      while (sent < due) {
        const n = sent++;
        // Never more than 2,000 at once: a server that stops answering shows as skipped requests, not as a client OOM.
        if (inFlight >= 2_000) {
          skipped++;
          continue;
        }
        const index = schedule[n % totalWeight];
        if (index === 0 && warm && !pooled) uniqueIdsAfterWarmup++;
        inFlight++;
        void KINDS[index][3](n).then((status) => {
          inFlight--;
          const seen = counts[index];
          seen.set(status, (seen.get(status) ?? 0) + 1);
        });
      }
      if (performance.now() - started >= untilMs) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
}

const probe = (gc = false) => server.ask("probe", { gc });
const round1 = (value) => Math.round(value * 10) / 10;
const mib = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;

const server = await startServer("hookrun-node", { execArgv: ["--expose-gc"] });

const samples = [];
let failed = false;
try {
  await probe(); // starts the server's event-loop delay histogram
  const startedAt = Date.now();
  console.log(`soak: hookrun-node (defaults), ${settings.rate} req/s, warm-up ${settings.warmupMs / 1000} s, then ${settings.durationMs / 60_000} min; sampling every ${settings.sampleMs / 1000} s`);
  const traffic = runTraffic(settings.warmupMs + settings.durationMs);
  await new Promise((resolve) => setTimeout(resolve, settings.warmupMs));
  const afterWarmup = await probe(true);
  warm = true;
  console.log(`after warm-up (GC): heap ${mib(afterWarmup.heapUsed)} MiB, RSS ${mib(afterWarmup.rss)} MiB, ${afterWarmup.resources} live handles`);
  const sampler = setInterval(async () => {
    const sample = await probe();
    sample.atSeconds = Math.round((Date.now() - startedAt) / 1000);
    sample.inFlight = inFlight;
    samples.push(sample);
    console.log(
      `t=${String(sample.atSeconds).padStart(4)} s  RSS ${mib(sample.rss)} MiB  heap ${mib(sample.heapUsed)} MiB  loop delay p99 ${sample.loopDelayMs.p99.toFixed(1)} ms max ${sample.loopDelayMs.max.toFixed(1)} ms  in flight ${inFlight}`,
    );
  }, settings.sampleMs);
  await traffic;
  clearInterval(sampler);
  // Let the last requests finish, and the server's body timers and sockets wind down.
  const drainDeadline = Date.now() + 40_000;
  while (inFlight > 0 && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
  agent.destroy();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const end = await probe(true);
  const allowed = HEAP_SLACK_BYTES + Math.min(uniqueIdsAfterWarmup, IDEMPOTENCY_MAP_MAX) * BYTES_PER_DELIVERY_ID;
  const growth = end.heapUsed - afterWarmup.heapUsed;
  const rss = samples.map((sample) => sample.rss);
  const p99s = samples.map((sample) => sample.loopDelayMs.p99);
  const maxes = samples.map((sample) => sample.loopDelayMs.max);

  console.log("\nanswers (kind: status × count):");
  let unexpected = 0;
  KINDS.forEach(([kind, , expected], index) => {
    const seen = [...counts[index]].map(([status, count]) => `${status} × ${count}`).join(", ");
    const wrong = [...counts[index]].filter(([status]) => status !== expected).reduce((sum, [, count]) => sum + count, 0);
    unexpected += wrong;
    console.log(`  ${kind.padEnd(28)} ${seen}${wrong ? `   <- ${wrong} not ${expected}` : ""}`);
  });
  const summary = {
    settings: { ...settings, sent, skipped },
    heapAfterWarmupMiB: mib(afterWarmup.heapUsed),
    heapAfterSoakMiB: mib(end.heapUsed),
    heapGrowthMiB: mib(growth),
    heapBoundMiB: mib(allowed),
    uniqueDeliveryIdsAfterWarmup: uniqueIdsAfterWarmup,
    rssMiB: { afterWarmup: mib(afterWarmup.rss), min: mib(Math.min(...rss)), max: mib(Math.max(...rss)), end: mib(end.rss) },
    loopDelayMs: { medianP99: round1(p99s.sort((a, b) => a - b)[p99s.length >> 1]), worstP99: round1(Math.max(...p99s)), max: round1(Math.max(...maxes)) },
    liveHandles: { afterWarmup: afterWarmup.resources, end: end.resources },
    unexpected,
  };
  console.log(`\n${JSON.stringify(summary, null, 2)}`);
  if (args.json) (await import("node:fs")).writeFileSync(args.json, `${JSON.stringify({ summary, samples }, null, 2)}\n`);
  if (unexpected > 0) {
    console.error(`soak: ${unexpected} answers were not the expected status`);
    failed = true;
  }
  if (skipped > 0) {
    console.error(`soak: ${skipped} requests skipped: the server fell 2,000 requests behind`);
    failed = true;
  }
  if (growth > allowed) {
    console.error(`soak: heap grew ${mib(growth)} MiB, over the bound of ${mib(allowed)} MiB`);
    failed = true;
  }
  // Every connection the soak opened is closed: the handles left are the server's own (listener, IPC).
  if (end.resources > afterWarmup.resources) {
    console.error(`soak: ${end.resources} live handles at the end, ${afterWarmup.resources} after warm-up`);
    failed = true;
  }
} finally {
  await server.stop();
}
if (failed) process.exit(1);
console.log("soak: ok");
