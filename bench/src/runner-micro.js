// In-process cost of the DEFAULT memoryRunner() per job (concurrency 4, 1,000 queued), without the
// pipeline or HTTP: `perTurn` no-op jobs enqueued per event-loop turn (default 32, more than the
// concurrency), until all have run; best of 5; any refusal fails. `node src/runner-micro.js [jobs] [perTurn]`.
import * as core from "@hookrun/core";

// CPU time (user + system) of this process in ms: on a shared machine, wall time mostly measures
// the neighbours.
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const jobs = Number(process.argv[2] ?? 100_000);
const perTurn = Number(process.argv[3] ?? 32);
let ran = 0;
const agent = () => {
  ran++;
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
// Like hookrun's own registry for a list of webhooks: the agent is found synchronously.
const host = { resolveAgent: () => agent, logger: quiet, emit() {}, role: "both" };
const tick = () => new Promise(setImmediate);

let best = Infinity;
for (let round = 0; round < 5; round++) {
  const runner = core.memoryRunner();
  runner.start(host);
  ran = 0;
  const started = cpuNow();
  for (let i = 0; i < jobs; i += perTurn) {
    for (let j = 0; j < perTurn; j++) {
      await runner.enqueue({ runId: `run-${i + j}`, webhookId: "bench", envelope: {}, deliveryId: undefined, receivedAt: 0 });
    }
    await tick();
  }
  while (ran < jobs) await tick();
  await runner.close();
  best = Math.min(best, ((cpuNow() - started) * 1000) / jobs);
}
console.log(`memoryRunner() defaults, ${jobs} no-op jobs, ${perTurn} per turn: ${best.toFixed(2)} µs/job (target ≤ 1 µs)`);
