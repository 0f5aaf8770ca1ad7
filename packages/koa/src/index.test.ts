import { createServer } from "node:http";
import { bodyParser } from "@koa/bodyparser";
import Router from "@koa/router";
import Koa from "koa";
import { describe, expect, it } from "vitest";
import { createKoaMiddleware, HookrunConfigError } from "@hookrun/koa";
import { describeAdapterContract } from "../../../test/adapter-contract";
import { contractHooks, CONTRACT_TOKEN, inProcessContractServer, listen } from "../../../test/support/in-process";

function app(hooks: Parameters<typeof createKoaMiddleware>[0], before?: Koa.Middleware): Koa {
  const router = new Router();
  router.get("/health", (ctx) => void (ctx.body = "ok"));
  router.all("/inbound-webhooks/:webhookId", createKoaMiddleware(hooks));
  const koa = new Koa();
  koa.silent = true; // client parse errors in the raw-socket cases are expected
  if (before) koa.use(before);
  koa.use(router.routes());
  return koa;
}

describeAdapterContract("koa", async () => {
  const { hooks, runs } = contractHooks();
  return inProcessContractServer(createServer(app(hooks).callback()), hooks, runs);
});

describe("koa: behind a body parser", () => {
  const post = (port: number, body: string) =>
    fetch(`http://127.0.0.1:${port}/inbound-webhooks/contract`, {
      method: "POST",
      headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-type": "application/json" },
      body,
    });

  it("uses the raw body @koa/bodyparser kept in ctx.request.rawBody", async () => {
    const { hooks, runs } = contractHooks();
    const server = await listen(createServer(app(hooks, bodyParser()).callback()));
    try {
      const response = await post(server.port, '{"kept": "raw"}');
      expect(response.status).toBe(202);
      const { runId } = (await response.json()) as { runId: string };
      expect((await runs.waitFor(runId)).envelope.payload).toEqual({ kept: "raw" });
    } finally {
      await server.close();
    }
  });

  it("answers a clear error, not a hang, when a middleware consumed the body without keeping it", async () => {
    const { hooks, runs } = contractHooks();
    const consume: Koa.Middleware = async (ctx, next) => {
      for await (const _ of ctx.req);
      await next();
    };
    const server = await listen(createServer(app(hooks, consume).callback()));
    try {
      const response = await post(server.port, '{"event":"x"}');
      expect(response.status).toBe(500);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem).toMatchObject({ code: "internal_error", detail: expect.stringMatching(/Mount hookrun before any body parser/) });
      expect(runs.size).toBe(0);
      expect(await (await fetch(`http://127.0.0.1:${server.port}/health`)).text()).toBe("ok");
    } finally {
      await server.close();
    }
  });

  it("re-exports the core's public API", () => {
    expect(new HookrunConfigError("x", "y").field).toBe("x");
  });
});
