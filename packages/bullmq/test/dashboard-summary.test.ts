import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { DEFAULT_MAX_REFUSED, DEFAULT_MAX_RUN_AGE_MS, DEFAULT_MAX_RUN_BYTES } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { summaryContract } from "../../../test/support/summary-contract";

const url = new URL(inject("redisUrl"));
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const fresh = () => bullmqRunner({ connection, prefix: `summary${randomUUID().slice(0, 8)}`, queueName: `q-${randomUUID()}` });

summaryContract("bullmqRunner's Redis store", {
  makeStore(maxRuns) {
    // The store lives on a runner of its own, closed with the store.
    const runner = fresh();
    const store = runner.createRunStore!({ maxRuns, maxBytes: DEFAULT_MAX_RUN_BYTES, maxAgeMs: DEFAULT_MAX_RUN_AGE_MS, maxRefused: DEFAULT_MAX_REFUSED });
    return Object.assign(Object.create(store), { close: () => runner.close() });
  },
  makeRunner: fresh,
});
