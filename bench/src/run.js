// `pnpm bench` / `pnpm bench:smoke`: see BENCHMARKS.md at the repository root.
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import * as core from "@hookrun/core";
import { abuse } from "./abuse.js";
import { makePayload } from "./payload.js";
import { GITHUB_SECRET, GITHUB_WEBHOOK_ID, PATH_PREFIX, TOKEN, WEBHOOK_ID } from "./shared.js";
import { startServer } from "./spawn.js";

// pnpm 12 passes `pnpm bench -- --sizes=1k` on with its `--`: accept (ignore) a leading one, so
// both `bench --sizes=1k` and `bench -- --sizes=1k` work.
const argv = process.argv.slice(2);
if (argv[0] === "--") argv.shift();
// `pnpm bench soak`: the soak (bench/src/soak.js) instead of the throughput bench.
if (argv[0] === "soak") {
  await import("./soak.js");
  process.exit(0);
}
const { values: args } = parseArgs({
  args: argv,
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    sizes: { type: "string" },
    rounds: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    "one-process": { type: "boolean", default: false },
    "no-abuse": { type: "boolean", default: false },
    "abuse-only": { type: "boolean", default: false },
    scenarios: { type: "string" },
  },
});

const SIZES = { "1k": 1024, "64k": 64 * 1024, "1m": 1024 * 1024 };
// Connections per size: enough to keep one Node process busy; fewer for 1 MiB bodies.
const CONNECTIONS = { "1k": 50, "64k": 50, "1m": 16 };
const smoke = args.smoke;
const settings = {
  rounds: Number(args.rounds ?? (smoke ? 1 : 5)),
  duration: Number(args.duration ?? (smoke ? 0.5 : 2.5)),
  warmup: Number(args.warmup ?? (smoke ? 0.25 : 1.5)),
  // A fresh process per server every round; one process for all rounds with --one-process, and
  // with --cpu-prof (one profile per server and size).
  fresh: !args["one-process"] && !args["cpu-prof"],
  sizes: (args.sizes ?? "1k,64k,1m").split(","),
  abuse: smoke ? { clients: 10, bytesEach: 2 * 1024 * 1024, timeoutMs: 15_000 } : { clients: 200, bytesEach: 20 * 1024 * 1024, timeoutMs: 30_000 },
};

const githubReady = typeof core.github === "function";

/**
 * Every server the bench runs, in table order: `bench/src/servers/<name>.js`, its hand-written
 * `baseline` (the "× baseline" column), and the status it answers a valid request with (default
 * 202). Register a new server here (and its target rows in TARGETS below).
 */
const SERVER_LIST = [
  { name: "node-raw" },
  { name: "hookrun-node", baseline: "node-raw" },
  // Not a target: hookrun-node with `runs: false`, so the cost of run records shows in the same run.
  { name: "hookrun-node-runs-off", baseline: "node-raw" },
  { name: "hono-hand" },
  { name: "hookrun-fetch", baseline: "hono-hand" },
  { name: "express-hand" },
  { name: "hookrun-express", baseline: "express-hand" },
  { name: "koa-hand" },
  { name: "hookrun-koa", baseline: "koa-hand" },
  { name: "fastify-hand" },
  { name: "hookrun-fastify", baseline: "fastify-hand" },
  ...(githubReady ? [{ name: "octokit", status: 200 }, { name: "hookrun-github", baseline: "octokit" }] : []),
];

/** Issue 11's targets: [size, hookrun server, baseline, minimum ratio of median req/s]. */
const TARGETS = [
  ["1k", "hookrun-node", "node-raw", 0.9],
  ["1k", "hookrun-github", "octokit", 1.0],
  ["1k", "hookrun-express", "express-hand", 1.0],
  ["1k", "hookrun-koa", "koa-hand", 0.95],
  ["1k", "hookrun-fetch", "hono-hand", 0.9],
  ["1k", "hookrun-fastify", "fastify-hand", 0.95],
  ["64k", "hookrun-node", "node-raw", 0.9],
  ["64k", "hookrun-github", "octokit", 1.0],
  ["1m", "hookrun-node", "node-raw", 0.95],
];

const selected = (name) => !args.only || args.only.split(",").includes(name);
const SERVERS = SERVER_LIST.filter(({ name }) => selected(name)).map(({ name, baseline = null }) => [name, baseline]);
const ABUSE_SERVERS = ["node-raw", "hookrun-node", "express-hand", "hookrun-express"].filter(selected);
const EXPECTED_STATUS = Object.fromEntries(SERVER_LIST.filter(({ status }) => status).map(({ name, status }) => [name, status]));
const execArgvFor = (name, size) =>
  args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${new URL("../profiles/", import.meta.url).pathname}`, `--cpu-prof-name=${name}-${size}.cpuprofile`, "--cpu-prof-interval=100"] : [];

const failures = [];
const MiB = 1024 * 1024;

function requestFor(name, body) {
  const isGithub = name === "octokit" || name === "hookrun-github";
  const headers = { "content-type": "application/json" };
  if (!isGithub) {
    headers.authorization = `Bearer ${TOKEN}`;
    return { path: PATH_PREFIX + WEBHOOK_ID, headers };
  }
  headers["x-github-event"] = "push";
  headers["x-hub-signature-256"] = `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`;
  let delivery = 0;
  // A fresh delivery id per request: a repeated one would hit hookrun's idempotency, not its work.
  const setupRequest = (request) => {
    request.headers = { ...headers, "x-github-delivery": `bench-${process.pid}-${++delivery}` };
    return request;
  };
  return { path: PATH_PREFIX + GITHUB_WEBHOOK_ID, headers, setupRequest };
}

async function load(server, body, size, seconds) {
  const { path, headers, setupRequest } = requestFor(server.name, body);
  const cpuBefore = await server.cpuMicros();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${path}`,
    method: "POST",
    headers,
    body,
    connections: CONNECTIONS[size],
    duration: seconds,
    ...(setupRequest ? { requests: [{ method: "POST", path, headers, body, setupRequest }] } : {}),
  });
  const cpuMicros = (await server.cpuMicros()) - cpuBefore;
  const expected = String(EXPECTED_STATUS[server.name] ?? 202);
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
  const unexpected = Object.keys(statuses).filter((code) => code !== expected);
  if (!statuses[expected] || unexpected.length > 0) {
    failures.push(`${server.name} @ ${size}: expected only ${expected}, saw ${JSON.stringify(statuses)} (errors ${result.errors})`);
  }
  return {
    rps: result.requests.total / result.duration,
    // Server CPU per answered request: unlike req/s, barely moved by what else runs on the machine.
    cpuPerRequest: cpuMicros / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Starts every selected server for one size (a failure to start is recorded, the rest go on). */
async function startServers(size) {
  const servers = [];
  for (const [name] of SERVERS) {
    try {
      servers.push(await startServer(name, { execArgv: execArgvFor(name, size) }));
    } catch (error) {
      failures.push(`${name}: ${error.message}`);
    }
  }
  return servers;
}

async function benchSize(size) {
  const body = makePayload(SIZES[size]);
  const rounds = new Map(SERVERS.map(([name]) => [name, []]));
  const peaks = new Map();
  let servers = [];
  try {
    for (let round = 0; round < settings.rounds; round++) {
      // Fresh processes every round (unless one process per server was asked for): one Node
      // process can settle into a state 10-30 % slower than another running the same code (seen
      // on this 2-core VM, for node-raw and hookrun alike), so a median over processes is what
      // tells two servers apart, not a median over one process's rounds.
      if (round === 0 || settings.fresh) {
        await Promise.all(servers.map((server) => server.stop()));
        servers = await startServers(size);
        for (const server of servers) if (settings.warmup > 0) await load(server, body, size, settings.warmup);
      }
      // Rounds are interleaved (A B C, B C A, ...), so drift in the shared machine's load is spread
      // over every server instead of landing on whichever ran last.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]);
      for (const server of order) {
        const result = await load(server, body, size, settings.duration);
        rounds.get(server.name).push(result);
        process.stderr.write(`  ${size} round ${round + 1} ${server.name}: ${Math.round(result.rps)} req/s, ${result.cpuPerRequest.toFixed(1)} µs CPU/req\n`);
      }
      if (settings.fresh || round === settings.rounds - 1) {
        for (const server of servers) peaks.set(server.name, Math.max(peaks.get(server.name) ?? 0, await server.peakRss()));
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
  const rows = [];
  for (const [name, baseline] of SERVERS) {
    const results = rounds.get(name);
    if (results.length === 0) continue;
    rows.push({
      server: name,
      baseline,
      rps: median(results.map((r) => r.rps)),
      p50: median(results.map((r) => r.p50)),
      p99: median(results.map((r) => r.p99)),
      cpuPerRequest: median(results.map((r) => r.cpuPerRequest)),
      peakRss: peaks.get(name) ?? NaN,
      rounds: results.map((r) => Math.round(r.rps)),
      errors: results.reduce((sum, r) => sum + r.errors, 0),
    });
  }
  return rows;
}

async function abuseOne(name) {
  const server = await startServer(name, { execArgv: execArgvFor(name, "abuse") });
  try {
    const { path, headers } = requestFor(name, "");
    const before = await server.rss();
    const resetWorked = server.resetPeak();
    const outcome = await abuse({ port: server.port, path, headers, ...settings.abuse });
    const peak = await server.peakRss();
    const refused = outcome.statuses["413"] ?? 0;
    // Only hookrun promises every abusive client a 413; the hand-written servers are measured as they are.
    if (name.startsWith("hookrun") && refused !== settings.abuse.clients) failures.push(`abuse ${name}: expected ${settings.abuse.clients} × 413, saw ${JSON.stringify(outcome.statuses)}`);
    // Still serving afterwards?
    const after = await load(server, makePayload(1024), "1k", smoke ? 0.5 : 1);
    return { server: name, before, growth: resetWorked ? peak - before : NaN, peak, ...outcome, afterRps: after.rps };
  } finally {
    await server.stop();
  }
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

function table(size, rows) {
  const byName = new Map(rows.map((row) => [row.server, row]));
  const raw = byName.get("node-raw");
  const lines = [
    `### ${size} payload (${SIZES[size]} bytes, ${CONNECTIONS[size]} connections)`,
    "",
    "| server | req/s | p50 ms | p99 ms | peak RSS MiB | CPU µs/req | × node-raw | × baseline | rounds (req/s) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const row of rows) {
    const base = row.baseline && byName.get(row.baseline);
    const vsBase = base && row.baseline !== "node-raw" ? `${fmt(row.rps / base.rps, 3)} (${row.baseline})` : "";
    lines.push(
      `| ${row.server} | ${fmt(row.rps)} | ${fmt(row.p50, 1)} | ${fmt(row.p99, 1)} | ${fmt(row.peakRss / MiB, 1)} | ${fmt(row.cpuPerRequest, 1)} | ${raw ? fmt(row.rps / raw.rps, 3) : ""} | ${vsBase} | ${row.rounds.join(", ")} |`,
    );
  }
  return lines.join("\n");
}

function abuseTable(rows) {
  const { clients, bytesEach } = settings.abuse;
  const lines = [
    `### Abuse: ${clients} clients at once, each streaming ${bytesEach / MiB} MiB chunked (limit 1 MiB)`,
    "",
    "| server | RSS before MiB | peak RSS growth MiB | growth ÷ (clients × 1 MiB) | statuses | MiB sent by clients | duration s | req/s right after |",
    "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.server} | ${fmt(row.before / MiB, 1)} | ${fmt(row.growth / MiB, 1)} | ${fmt(row.growth / (clients * MiB), 2)} | ${JSON.stringify(row.statuses)} | ${fmt(row.sentBytes / MiB)} | ${fmt(row.durationMs / 1000, 1)} | ${fmt(row.afterRps)} |`,
    );
  }
  return lines.join("\n");
}

const startedAt = new Date();
const header = [
  `## hookrun bench${smoke ? " (smoke)" : ""}`,
  "",
  `- date: ${startedAt.toISOString()}`,
  `- machine: ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  `- node ${process.version}, autocannon 9, ${settings.rounds} round(s) × ${settings.duration} s after ${settings.warmup} s warm-up, ${settings.fresh ? "a fresh process per server each round" : "one process per server"}, median reported`,
  `- command: pnpm --filter @hookrun/bench bench${argv.length ? ` ${argv.join(" ")}` : ""}`,
  "- hookrun servers: default createInboundWebhooks options (default memoryRunner(), limits and logger); any non-202 fails the round",
  githubReady ? "- github(): exported by @hookrun/core, octokit rows included" : "- github(): not exported by @hookrun/core yet, octokit rows skipped",
].join("\n");
console.log(header);

const sections = [header];
const json = { startedAt, settings, sizes: {}, abuse: [] };
if (!args["abuse-only"]) {
  for (const size of settings.sizes) {
    process.stderr.write(`size ${size}\n`);
    const rows = await benchSize(size);
    json.sizes[size] = rows;
    const text = table(size, rows);
    sections.push(text);
    console.log(`\n${text}`);
  }
}
/** The issue's targets, as req/s ratios and as server-CPU-per-request ratios (baseline ÷ hookrun). */
function targetsTable() {
  const lines = [
    "### Targets (same run)",
    "",
    "| size | hookrun | vs | target | req/s ratio | CPU µs/req (hookrun / baseline) | CPU/req ratio (baseline ÷ hookrun) |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
  ];
  let held = 0;
  let measured = 0;
  for (const [size, name, baseline, target] of TARGETS) {
    const rows = json.sizes[size];
    const a = rows?.find((row) => row.server === name);
    const b = rows?.find((row) => row.server === baseline);
    if (!a || !b) continue;
    measured++;
    const mark = (ratio) => `${fmt(ratio, 3)} ${ratio >= target ? "✓" : "✗"}`;
    if (a.rps / b.rps >= target) held++;
    lines.push(`| ${size} | ${name} | ${baseline} | ≥ ${target} | ${mark(a.rps / b.rps)} | ${fmt(a.cpuPerRequest, 1)} / ${fmt(b.cpuPerRequest, 1)} | ${mark(b.cpuPerRequest / a.cpuPerRequest)} |`);
  }
  lines.push("", `${held} of ${measured} measured targets hold in req/s (${TARGETS.length} defined).`);
  return lines.join("\n");
}

if (!args["abuse-only"] && Object.keys(json.sizes).length > 0) {
  const text = targetsTable();
  sections.push(text);
  console.log(`\n${text}`);
}
if (!args["no-abuse"]) {
  for (const name of ABUSE_SERVERS) {
    process.stderr.write(`abuse ${name}\n`);
    try {
      json.abuse.push(await abuseOne(name));
    } catch (error) {
      failures.push(`abuse ${name}: ${error.message}`);
    }
  }
  const text = abuseTable(json.abuse);
  sections.push(text);
  console.log(`\n${text}`);
}

/**
 * Further scenarios, each its own module (`bench/src/<name>.js`) exporting
 * `async run({ smoke, startServer, load, failures }) => { text, json }`: `text` is a markdown
 * section for the report, `json` goes into latest.json under `scenarios.<name>`; push a string to
 * `failures` to fail the run. Register one here; `--no-<name>` is not parsed, use `--scenarios=a,b`
 * (default: all) or `--scenarios=` for none.
 */
const SCENARIOS = ["runs-list"];
const wantedScenarios = args.scenarios === undefined ? undefined : args.scenarios.split(",").filter(Boolean);
json.scenarios = {};
for (const name of SCENARIOS) {
  if (args["abuse-only"] || (wantedScenarios && !wantedScenarios.includes(name))) continue;
  process.stderr.write(`scenario ${name}\n`);
  try {
    const scenario = await import(new URL(`./${name}.js`, import.meta.url));
    const result = await scenario.run({ smoke, startServer, load, failures });
    json.scenarios[name] = result.json;
    sections.push(result.text);
    console.log(`\n${result.text}`);
  } catch (error) {
    failures.push(`scenario ${name}: ${error.message}`);
  }
}

const resultsDir = new URL("../results/", import.meta.url);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(new URL(smoke ? "smoke.json" : "latest.json", resultsDir), JSON.stringify({ ...json, failures }, null, 2));
writeFileSync(new URL(smoke ? "smoke.md" : "latest.md", resultsDir), `${sections.join("\n\n")}\n`);

if (failures.length > 0) {
  console.error(`\nFAILED:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`\n${smoke ? "smoke: every server and scenario ran and answered as expected" : "done"} (${Math.round((Date.now() - startedAt) / 1000)} s)`);
