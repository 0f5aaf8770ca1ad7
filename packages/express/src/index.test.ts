import { createServer } from "node:http";
import express from "express";
import { describe, expect, it } from "vitest";
import { createExpressHandler, HookrunError } from "@hookrun/express";
import { describeAdapterContract } from "../../../test/adapter-contract";
import { contractHooks, CONTRACT_TOKEN, inProcessContractServer, listen } from "../../../test/support/in-process";

describeAdapterContract("express", async () => {
  const { hooks, runs } = contractHooks();
  const app = express();
  app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
  return inProcessContractServer(createServer(app), hooks, runs);
});

describe("express: behind a body parser", () => {
  const post = (port: number, body: string) =>
    fetch(`http://127.0.0.1:${port}/inbound-webhooks/contract`, {
      method: "POST",
      headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-type": "application/json" },
      body,
    });

  it("uses the raw bytes express.json() kept in req.rawBody", async () => {
    const { hooks, runs } = contractHooks();
    const app = express();
    app.use(express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody?: Buffer }).rawBody = buf) }));
    app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
    const server = await listen(createServer(app));
    try {
      const response = await post(server.port, '{"kept": "raw",  "n": 1}');
      expect(response.status).toBe(202);
      const { runId } = (await response.json()) as { runId: string };
      expect((await runs.waitFor(runId)).envelope.payload).toEqual({ kept: "raw", n: 1 });
    } finally {
      await server.close();
    }
  });

  it("answers a clear error, not a hang, when express.json() consumed the body without keeping it", async () => {
    const { hooks, runs } = contractHooks();
    const app = express();
    app.use(express.json());
    app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
    app.get("/health", (_req, res) => void res.send("ok"));
    const server = await listen(createServer(app));
    try {
      const response = await post(server.port, '{"event":"x"}');
      expect(response.status).toBe(500);
      const problem = (await response.json()) as { code: string; detail: string };
      expect(problem.code).toBe("internal_error");
      expect(problem.detail).toMatch(/Mount hookrun before any body parser/);
      expect(runs.size).toBe(0);
      expect(await (await fetch(`http://127.0.0.1:${server.port}/health`)).text()).toBe("ok");
    } finally {
      await server.close();
    }
  });

  it("re-exports the core's public API", () => {
    expect(new HookrunError("queue_full", "x").status).toBe(429);
  });
});
