import { randomUUID } from "node:crypto";
import { afterAll } from "vitest";
import { inject } from "vitest";
import { Redis } from "ioredis";
import { DEFAULT_MAX_REFUSED, DEFAULT_MAX_RUN_AGE_MS, DEFAULT_MAX_RUN_BYTES, DEFAULT_MAX_RUNS, type RunStore } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { runsContract } from "../../../test/support/runs-contract";

const url = new URL(inject("redisUrl"));
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const prefix = `runs${randomUUID().slice(0, 8)}`;
// A queue per runner, so tests sharing one Redis never see each other's runs.
const fresh = () => ({ connection, prefix, queueName: `q-${randomUUID()}` });
const redis = new Redis(connection);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
});

/** Every key and value of the run stores (never the queue's own job data), as text. */
async function dumpRunStores(): Promise<string> {
  const keys = await redis.keys(`${prefix}:*:runs:*`);
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === "hash") parts.push(key, JSON.stringify(await redis.hgetall(key)));
    else if (type === "zset") parts.push(key, JSON.stringify(await redis.zrange(key, "0", "-1")));
    else if (type === "list") parts.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === "string") parts.push(key, String(await redis.get(key)));
  }
  return parts.join("\n");
}

function standaloneStore(): RunStore {
  // A store on a runner of its own, closed with the store.
  const runner = bullmqRunner(fresh());
  const store = runner.createRunStore!({ maxRuns: DEFAULT_MAX_RUNS, maxBytes: DEFAULT_MAX_RUN_BYTES, maxAgeMs: DEFAULT_MAX_RUN_AGE_MS, maxRefused: DEFAULT_MAX_REFUSED });
  return Object.assign(Object.create(store) as RunStore, { close: () => runner.close() });
}

runsContract("bullmqRunner", {
  makeRunner: (options) => bullmqRunner({ ...fresh(), ...options }),
  makeStore: standaloneStore,
  dumpStore: dumpRunStores,
  boundsBytes: false,
  holdsFinishedJobs: true,
});
