import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster, Redis } from "ioredis";
import { bearer, createInboundWebhooks, type AgentContext } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { recorder } from "../../../test/support/events";
import { serveHooks } from "../../../test/support/hooks-server";
import { startRedisCluster, startRedisProcess, type RedisCluster, type RedisProcess } from "../../../test/support/redis-process";

/**
 * bullmqRunner on a real three-master Redis Cluster the test starts on free ports (ioredis
 * `Cluster` as the connection), and on a password-protected redis-server reached by URL.
 */
let cluster: RedisCluster;
let secured: RedisProcess;
const PASSWORD = "s3cret-p@ss/word";

beforeAll(async () => {
  [cluster, secured] = await Promise.all([startRedisCluster(3), startRedisProcess(["--requirepass", PASSWORD])]);
});
afterAll(async () => {
  await Promise.all([cluster?.stop(), secured?.stop()]);
});

describe("Redis Cluster", () => {
  it("enqueues, runs and deduplicates through a three-node cluster, its keys under the {hookrun} hash tag", { timeout: 90_000 }, async () => {
    const connection = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: null } });
    const seen: Array<Pick<AgentContext, "runId" | "deliveryId" | "attempt">> = [];
    const rec = recorder();
    const webhooks = [{ id: "alerts", auth: bearer("t"), agent: (_e: unknown, ctx: AgentContext) => void seen.push({ runId: ctx.runId, deliveryId: ctx.deliveryId, attempt: ctx.attempt }) }];
    const ingress = createInboundWebhooks({ webhooks, role: "ingress", runner: bullmqRunner({ connection, queueName: "cluster" }), logger: rec.logger, onEvent: rec.onEvent });
    const worker = createInboundWebhooks({ webhooks, role: "worker", runner: bullmqRunner({ connection, queueName: "cluster" }), logger: rec.logger, onEvent: rec.onEvent });
    const server = await serveHooks(ingress);

    const accepted = [];
    for (let i = 0; i < 20; i++) {
      const res = await server.post("alerts", JSON.stringify({ i }), { authorization: "Bearer t", "idempotency-key": `d-${i}` });
      expect(res.status, JSON.stringify(res.json)).toBe(202);
      accepted.push(res.json.runId as string);
    }
    // A repeated delivery id answers the first runId from the cluster's deduplication key.
    const replay = await server.post("alerts", JSON.stringify({ i: 3 }), { authorization: "Bearer t", "idempotency-key": "d-3" });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.runId).toBe(accepted[3]);

    await rec.waitFor("run.succeeded", 20, 60_000);
    expect(seen.map((run) => run.runId).sort()).toEqual([...accepted].sort());
    expect(seen.every((run) => run.attempt === 1 && /^d-\d+$/.test(run.deliveryId ?? ""))).toBe(true);
    // Every key of the queue hashes to one slot (BullMQ's scripts need that), on one node.
    const keys: string[] = [];
    for (const node of connection.nodes("master")) keys.push(...(await node.keys("*")));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith("{hookrun}:cluster:"))).toBe(true);
    expect(await connection.zcard("{hookrun}:cluster:completed")).toBe(20);
    expect(rec.logs.filter((log) => log.level === "error")).toEqual([]);

    await server.close();
    await Promise.all([ingress.close(), worker.close({ timeoutMs: 5_000 })]);
    connection.disconnect();
  });
});

describe("password-protected Redis", () => {
  it("connects with a redis:// URL carrying the password (URL-encoded) and runs the job", { timeout: 60_000 }, async () => {
    const url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${secured.port}`;
    const rec = recorder();
    const ran: string[] = [];
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "alerts", auth: bearer("t"), agent: (_e, ctx) => void ran.push(ctx.runId) }],
      runner: bullmqRunner({ connection: { url }, queueName: "secured" }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    const server = await serveHooks(hooks);
    const res = await server.post("alerts", "{}", { authorization: "Bearer t" });
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    await rec.waitFor("run.succeeded");
    expect(ran).toEqual([res.json.runId]);
    // The password is really required: a client without it is refused.
    const anonymous = new Redis({ port: secured.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const refusals: string[] = [];
    anonymous.on("error", (error: Error) => refusals.push(error.message));
    await expect(anonymous.connect()).rejects.toThrow();
    expect(refusals.some((message) => /NOAUTH/.test(message))).toBe(true);
    anonymous.disconnect();
    // And it appears in no log line.
    expect(JSON.stringify(rec.logs)).not.toContain(PASSWORD);
    await server.close();
    await hooks.close({ timeoutMs: 5_000 });
  });
});
