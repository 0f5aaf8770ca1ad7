import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Redis } from "ioredis";
import { bearer, createInboundWebhooks, HookrunConfigError, type Envelope } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { recorder } from "../../../test/support/events";
import { senderDeliveryIds } from "../../../test/support/delivery-contract";
import { runnerContract } from "../../../test/support/runner-contract";
import { serveHooks } from "../../../test/support/hooks-server";

const url = new URL(inject("redisUrl"));
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const prefix = `t${randomUUID().slice(0, 8)}`;
// A queue per runner, so tests sharing one Redis never see each other's jobs.
const fresh = () => ({ connection, prefix, queueName: `q-${randomUUID()}` });
const AUTH = { authorization: "Bearer t" };

const redis = new Redis(connection);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

runnerContract("bullmqRunner", (options) => bullmqRunner({ ...fresh(), ...options }));
senderDeliveryIds("bullmqRunner", (options) => bullmqRunner({ ...fresh(), ...options }));

describe("bullmqRunner", () => {
  it("depth() counts the queue's waiting jobs in Redis (the hookrun.queue.depth gauge)", async () => {
    const runner = bullmqRunner(fresh());
    const hooks = createInboundWebhooks({ webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => {} }], role: "ingress", runner, logger: recorder().logger });
    expect(await runner.depth!()).toEqual({ waiting: 0, running: 0 });
    for (let i = 0; i < 3; i++) expect((await hooks.handleInboundWebhook({ method: "POST", webhookId: "alerts", headers: AUTH, body: "{}" })).status).toBe(202);
    expect(await runner.depth!()).toEqual({ waiting: 3, running: 0 });
    await hooks.close();
  });

  it("splits one configuration into an ingress process and a worker process", async () => {
    const queue = fresh();
    const seen: Envelope[] = [];
    const rec = recorder();
    const webhooks = [{ id: "alerts", auth: bearer("t"), agent: (envelope: Envelope) => void seen.push(envelope) }];
    const ingress = createInboundWebhooks({ webhooks, role: "ingress", runner: bullmqRunner(queue), logger: rec.logger });
    const server = await serveHooks(ingress);
    const res = await server.post("alerts", '{"a":[1,2,{"b":null}]}', AUTH);
    expect(res.status).toBe(202);
    // Nothing runs on the ingress side: the job waits in Redis.
    expect(await redis.llen(`${prefix}:${queue.queueName}:wait`)).toBe(1);
    const worker = createInboundWebhooks({ webhooks, role: "worker", runner: bullmqRunner(queue), logger: rec.logger, onEvent: rec.onEvent });
    const [done] = await rec.waitFor("run.succeeded");
    expect(done!.runId).toBe(res.json.runId);
    expect(seen).toEqual([{ page: "inbound_webhook", inboundWebhookId: "alerts", payload: { a: [1, 2, { b: null }] } }]);
    // A worker-only instance serves no HTTP.
    const refused = await worker.handleInboundWebhook({ method: "POST", webhookId: "alerts", headers: AUTH, body: "{}" });
    expect(refused.status).toBe(500);
    expect(JSON.parse(refused.body).code).toBe("internal_error");
    await server.close();
    await Promise.all([ingress.close(), worker.close()]);
  });

  it("refuses a payload too deep to serialize with 422 invalid_payload and keeps serving", async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => {} }],
      role: "ingress",
      runner: bullmqRunner(fresh()),
      logger: rec.logger,
      onEvent: rec.onEvent,
      // Let it past the pipeline's own nesting limit (default 128) to reach the runner's guard.
      maxDepth: 100_000,
    });
    const server = await serveHooks(hooks);
    const depth = 90_000;
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(Buffer.byteLength(deep)).toBeLessThan(1_048_576);
    const res = await server.post("alerts", deep, AUTH);
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ status: 422, code: "invalid_payload" });
    expect(String(res.json.detail)).toMatch(/nested too deeply/);
    expect(String(res.json.detail)).not.toContain("[[");
    const next = await server.post("alerts", '{"ok":true}', AUTH);
    expect(next.status).toBe(202);
    expect(rec.of("request.rejected")).toMatchObject([{ status: 422, code: "invalid_payload" }]);
    await server.close();
    await hooks.close();
  });

  it("answers 503 queue_unavailable with Retry-After, never 202, when Redis cannot be reached, and logs it once", async () => {
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: () => {} }],
      role: "ingress",
      // Port 1: nothing listens, so the job can never be acknowledged.
      runner: bullmqRunner({ connection: { host: "127.0.0.1", port: 1 } }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await hooks.handleInboundWebhook({ method: "POST", webhookId: "alerts", headers: AUTH, body: "{}" }));
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toBe("5");
      expect(JSON.parse(res.body)).toMatchObject({ status: 503, code: "queue_unavailable", title: "Queue Unavailable" });
      expect(JSON.parse(res.body).detail).toMatch(/retry/);
    }
    expect(rec.of("request.rejected")).toHaveLength(5);
    const outageLines = rec.logs.filter((log) => /queue backend unreachable/.test(log.message));
    expect(outageLines).toHaveLength(1);
    expect(outageLines[0]!.level).toBe("error");
    expect(rec.logs.filter((log) => log.level === "error" || log.level === "warn" || log.level === "info")).toHaveLength(1);
    await hooks.close({ timeoutMs: 100 });
  });

  it("keeps a delivery id for idempotencyTtlMs in Redis, then treats it as new", async () => {
    const runs: string[] = [];
    const rec = recorder();
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: (_e, ctx) => void runs.push(ctx.runId) }],
      runner: bullmqRunner({ ...fresh(), idempotencyTtlMs: 300 }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    const post = () => hooks.handleInboundWebhook({ method: "POST", webhookId: "alerts", headers: { ...AUTH, "x-github-delivery": "d1" }, body: "{}" });
    const first = JSON.parse((await post()).body).runId;
    const replay = await post();
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(JSON.parse(replay.body).runId).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = await post();
    expect(later.headers["idempotent-replayed"]).toBeUndefined();
    await rec.waitFor("run.succeeded", 2);
    expect(runs).toEqual([first, JSON.parse(later.body).runId]);
    await hooks.close();
  });

  it("rejects bad options naming the field", () => {
    expect(() => bullmqRunner({} as never)).toThrow(HookrunConfigError);
    expect(() => bullmqRunner({ connection, queueName: "a:b" })).toThrow(/bullmqRunner\.queueName/);
    expect(() => bullmqRunner({ connection, attempts: 0 })).toThrow(/bullmqRunner\.attempts/);
    // A Redis Cluster hash tag must be whole: one `{...}` at most, never a stray brace.
    expect(() => bullmqRunner({ connection, prefix: "app{x" })).toThrow(/bullmqRunner\.prefix.*hash tag/);
    expect(() => bullmqRunner({ connection, prefix: "{a}{b}" })).toThrow(/bullmqRunner\.prefix/);
    expect(() => bullmqRunner({ connection, prefix: "{app}" })).not.toThrow();
  });
});
