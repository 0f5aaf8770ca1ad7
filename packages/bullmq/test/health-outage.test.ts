import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, type HookrunHealth, type InboundWebhooks } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { recorder } from "../../../test/support/events";
import { startExample } from "../../../test/support/example-process";
import { listen } from "../../../test/support/in-process";
import { startRedisProcess, type RedisProcess } from "../../../test/support/redis-process";

/**
 * Readiness follows Redis: `hooks.health()` and a `/healthz` route built on it say not ready while
 * this test's own redis-server is killed (`kill -9`), and ready again once it is restarted on the
 * same port, with no restart of the app.
 */
let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedisProcess();
});
afterAll(async () => {
  await redis?.stop();
});
// Each test starts with a live Redis, whatever the previous one left.
beforeEach(async () => {
  await redis.restart();
});

const READY: HookrunHealth = { ready: true, closing: false, runner: { ok: true } };
// `detail` comes with the first connection error, a moment after the connection closed.
const NOT_READY = { ready: false, closing: false, runner: { ok: false } };

/** Asks `probe` until `done` holds for its answer (60 s at most); returns that answer. */
async function until<T>(probe: () => Promise<T>, done: (answer: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  let answer = await probe();
  while (!done(answer)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last answer: ${JSON.stringify(answer)}`);
    await sleep(100);
    answer = await probe();
  }
  return answer;
}

/** The README's `/healthz`: `hooks.health()` as JSON, 200 when ready, 503 otherwise, on plain node:http. */
async function serveHealthz(hooks: InboundWebhooks) {
  const server = await listen(
    createServer((req, res) => {
      if (req.url !== "/healthz") return void res.writeHead(404).end();
      void hooks.health().then((health) => res.writeHead(health.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(health)));
    }),
  );
  return { url: `http://127.0.0.1:${server.port}/healthz`, close: server.close };
}

async function healthz(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe("readiness through a Redis outage", () => {
  it("hooks.health() and /healthz: ready, then 503 not ready while redis-server is killed, ready again after its restart", { timeout: 180_000 }, async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => {} }],
      runner: bullmqRunner({ connection: { host: "127.0.0.1", port: redis.port }, queueName: `health-${randomUUID()}` }),
      logger: rec.logger,
    });
    const server = await serveHealthz(hooks);
    try {
      expect(await until(() => hooks.health(), (health) => health.ready, "ready at start")).toStrictEqual(READY);
      expect(await healthz(server.url)).toStrictEqual({ status: 200, body: READY });

      await redis.kill9();
      expect(await until(() => hooks.health(), (health) => !health.ready, "not ready once Redis is killed")).toMatchObject(NOT_READY);
      const down = await healthz(server.url);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject(NOT_READY);

      await redis.restart();
      expect(await until(() => hooks.health(), (health) => health.ready, "ready after the restart")).toStrictEqual(READY);
      expect(await healthz(server.url)).toStrictEqual({ status: 200, body: READY });
    } finally {
      await server.close();
      await hooks.close({ timeoutMs: 1_000 });
    }
  });

  it("examples/worker's ingress (its start script): /healthz 200, then 503 while redis-server is killed, 200 again after its restart", { timeout: 180_000 }, async () => {
    const dir = fileURLToPath(new URL("../../../examples/worker", import.meta.url));
    const ingress = await startExample(dir, "node src/ingress.js", { REDIS_URL: redis.url, HOOKRUN_QUEUE: `health-${randomUUID()}`, HOOKRUN_WEBHOOK_TOKEN: "t" });
    const url = `http://127.0.0.1:${ingress.port}/healthz`;
    try {
      expect(await until(() => healthz(url), (answer) => answer.status === 200, "200 at start")).toStrictEqual({ status: 200, body: READY });

      await redis.kill9();
      const down = await until(() => healthz(url), (answer) => answer.status !== 200, "503 once Redis is killed");
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject(NOT_READY);

      await redis.restart();
      expect(await until(() => healthz(url), (answer) => answer.status === 200, "200 after the restart")).toStrictEqual({ status: 200, body: READY });
    } finally {
      await ingress.stop();
    }
  });
});
