// In-process cost of memoryRunner per job, without the pipeline or HTTP: 32 no-op jobs enqueued
// per event-loop turn (concurrency 64), until all have run; best of 5. `node src/runner-micro.js [jobs]`.
import * as core from "@hookrun/core";

const jobs = Number(process.argv[2] ?? 100_000);
let ran = 0;
const agent = () => {
  ran++;
};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const host = { resolveAgent: async () => agent, logger: quiet, emit() {}, role: "both" };
const tick = () => new Promise(setImmediate);

let best = Infinity;
for (let round = 0; round < 5; round++) {
  const runner = core.memoryRunner({ concurrency: 64, maxQueued: 1_000_000 });
  runner.start(host);
  ran = 0;
  const started = performance.now();
  for (let i = 0; i < jobs; i += 32) {
    for (let j = 0; j < 32; j++) {
      await runner.enqueue({ runId: `run-${i + j}`, webhookId: "bench", envelope: {}, deliveryId: undefined, receivedAt: 0 });
    }
    await tick();
  }
  while (ran < jobs) await tick();
  await runner.close();
  best = Math.min(best, ((performance.now() - started) * 1000) / jobs);
}
console.log(`memoryRunner, ${jobs} no-op jobs: ${best.toFixed(2)} µs/job`);
