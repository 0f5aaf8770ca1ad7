import Fastify, { type FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { HookrunConfigError, HookrunError, hookrunFastify } from "@hookrun/fastify";
import { describeAdapterContract, jsonOfSize } from "../../../test/adapter-contract";
import { rawExchange, requestHead } from "../../../test/support/raw-http";
import { contractHooks, CONTRACT_TOKEN } from "../../../test/support/in-process";

async function listening(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as { port: number }).port;
}

describeAdapterContract("fastify", async () => {
  const { hooks, runs } = contractHooks();
  const app = Fastify();
  await app.register(hookrunFastify, { hooks });
  const port = await listening(app);
  return { port, webhookId: "contract", token: CONTRACT_TOKEN, runs, nodeAdapter: true, close: () => app.close() };
});

const auth = { authorization: `Bearer ${CONTRACT_TOKEN}` };

describe("fastify: the plugin in an app", () => {
  it("keeps the app's own JSON parsing (and its bodyLimit) elsewhere, and serves hookrun under a prefix", async () => {
    const { hooks, runs } = contractHooks();
    const app = Fastify({ bodyLimit: 100 * 1024 });
    app.post("/echo", async (request) => ({ parsed: request.body }));
    await app.register(hookrunFastify, { hooks, prefix: "/api" });
    const port = await listening(app);
    try {
      const echo = await fetch(`http://127.0.0.1:${port}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
      expect(await echo.json()).toEqual({ parsed: { a: 1 } });
      // The app's 100 KB bodyLimit still answers Fastify's 413 on its own routes...
      const big = await fetch(`http://127.0.0.1:${port}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: jsonOfSize(200 * 1024) });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { code: string }).code).toBe("FST_ERR_CTP_BODY_TOO_LARGE");
      // ...and not on hookrun's, where hookrun's 1 MiB applies: 200 KB is accepted.
      const payload = JSON.parse(jsonOfSize(200 * 1024)) as unknown;
      const accepted = await fetch(`http://127.0.0.1:${port}/api/inbound-webhooks/contract`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(payload) });
      expect(accepted.status).toBe(202);
      const { runId } = (await accepted.json()) as { runId: string };
      expect((await runs.waitFor(runId)).envelope.payload).toEqual(payload);
      // Without the prefix, the route does not exist: Fastify's 404, as for any unknown path.
      expect((await fetch(`http://127.0.0.1:${port}/inbound-webhooks/contract`, { method: "POST", headers: auth, body: "{}" })).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it("answers a malformed Content-Type (Fastify's 415) and QUERY with hookrun's answers", async () => {
    const { hooks, runs } = contractHooks();
    const app = Fastify();
    await app.register(hookrunFastify, { hooks });
    const port = await listening(app);
    try {
      const head = requestHead("POST", "/inbound-webhooks/contract", { Authorization: `Bearer ${CONTRACT_TOKEN}`, "Content-Type": "not a media type", "Content-Length": 13 });
      const response = await rawExchange(port, `${head}{"event":"x"}`);
      expect(response.status).toBe(202);
      expect(response.headers["content-type"]).toBe("application/json");
      const { runId } = JSON.parse(response.body) as { runId: string };
      expect((await runs.waitFor(runId)).envelope.payload).toEqual({ event: "x" });
      const query = await rawExchange(port, requestHead("QUERY", "/inbound-webhooks/contract", { Authorization: `Bearer ${CONTRACT_TOKEN}`, "Content-Length": 2 }) + "{}");
      expect(query.status).toBe(405);
      expect(query.headers["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(query.body)).toMatchObject({ code: "method_not_allowed" });
    } finally {
      await app.close();
    }
  });

  it("leaves errors of the app's own hooks to the app's error handler", async () => {
    const { hooks } = contractHooks();
    const app = Fastify();
    app.setErrorHandler((error: Error, _request, reply) => void reply.code(418).send({ app: "handled", message: error.message }));
    app.addHook("onRequest", async (request) => {
      if (request.headers["x-block"]) throw new Error("blocked by the app");
    });
    await app.register(hookrunFastify, { hooks });
    const port = await listening(app);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/inbound-webhooks/contract`, { method: "POST", headers: { ...auth, "x-block": "1" }, body: "{}" });
      expect(response.status).toBe(418);
      expect(await response.json()).toEqual({ app: "handled", message: "blocked by the app" });
    } finally {
      await app.close();
    }
  });

  it("app.close() waits for running agents, then refuses new work (503 shutting_down)", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const finished: string[] = [];
    const { hooks } = contractHooks({
      agent: async (_envelope, ctx) => {
        await released;
        finished.push(ctx.runId);
      },
    });
    const app = Fastify();
    await app.register(hookrunFastify, { hooks });
    const port = await listening(app);
    const response = await fetch(`http://127.0.0.1:${port}/inbound-webhooks/contract`, { method: "POST", headers: auth, body: "{}" });
    const { runId } = (await response.json()) as { runId: string };
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    expect((await hooks.handleInboundWebhook({ method: "POST", webhookId: "contract", headers: auth, body: "{}" })).status).toBe(503);
    release();
    await closing;
    expect(finished).toEqual([runId]);
  });

  it("validates its options when registered", async () => {
    const app = Fastify();
    await expect(app.register(hookrunFastify, {} as never)).rejects.toThrow(HookrunConfigError);
    const other = Fastify();
    await expect(other.register(hookrunFastify, { hooks: contractHooks().hooks, closeTimeoutMs: -1 })).rejects.toThrow(/hookrunFastify\.closeTimeoutMs/);
  });

  it("re-exports the core's public API", () => {
    expect(new HookrunError("payload_too_large", "x").status).toBe(413);
  });
});
