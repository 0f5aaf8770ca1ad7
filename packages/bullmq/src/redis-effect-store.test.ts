import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Redis } from "ioredis";
import { bearer, createInboundWebhooks, type AgentContext } from "@hookrun/core";
import { bullmqRunner } from "@hookrun/bullmq";
import { recorder } from "../../../test/support/events";

const url = new URL(inject("redisUrl"));
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const prefix = `fx${randomUUID().slice(0, 8)}`;
const redis = new Redis(connection);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe("bullmqRunner's effect store (ctx.effects)", () => {
  it("lives in Redis under the queue's prefix with effectTtlMs, and a key is claimed by exactly one of many concurrent callers", async () => {
    const queueName = `q-${randomUUID()}`;
    const rec = recorder();
    const seen: Array<Record<string, unknown>> = [];
    const agent = async (_envelope: unknown, ctx: AgentContext) => {
      const claims = await Promise.all(Array.from({ length: 20 }, () => ctx.effects.begin("shared")));
      seen.push({ news: claims.filter((claim) => claim.state === "new").length, started: claims.filter((claim) => claim.state === "started").length });
      await ctx.effects.complete("shared", { draftId: "d1" });
      seen.push(await ctx.effects.begin("shared"));
    };
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "fx", auth: bearer("t"), agent }],
      runner: bullmqRunner({ connection, prefix, queueName, effectTtlMs: 60_000 }),
      logger: rec.logger,
      onEvent: rec.onEvent,
    });
    const res = await hooks.handleInboundWebhook({ method: "POST", webhookId: "fx", headers: { authorization: "Bearer t" }, body: "{}" });
    expect(res.status).toBe(202);
    await rec.waitFor("run.succeeded");
    expect(seen).toEqual([{ news: 1, started: 19 }, { state: "completed", result: { draftId: "d1" } }]);
    const key = `${prefix}:${queueName}:effect:shared`;
    expect(await redis.get(key)).toBe('c:{"draftId":"d1"}');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await hooks.close();
  });
});
