import { createHmac } from "node:crypto";
import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, github, type InboundWebhooks } from "@hookrun/core";
import { describeAdapterContract, jsonOfSize, LIMIT } from "../../../test/adapter-contract";
import { describeExample } from "../../../test/example-contract";
import { CONTRACT_TOKEN, contractHooks, inProcessContractServer, listen, memoryLogger } from "../../../test/support/in-process";
import { RunLog, recordingAgent } from "../../../test/support/recorder";
import { createNestApp } from "../src/app";
import { NestFactory } from "@nestjs/core";
import type { NestApplicationOptions } from "@nestjs/common";
import type { NestExpressApplication } from "@nestjs/platform-express";
import { createRawBodyNestApp, InboundWebhooksModule } from "../src/raw-body-app";

// `pnpm start` compiles with tsc (decorators and their metadata), as a Nest app is built.
describeExample("nestjs", fileURLToPath(new URL("..", import.meta.url)), { nodeAdapter: true });

// The recommended setup, in this process: the whole adapter contract through a real Nest app.
describeAdapterContract("nestjs (bodyParser: false, hookrun first)", async () => {
  const { hooks, runs } = contractHooks();
  const app = await createNestApp(hooks);
  await app.init();
  const contract = await inProcessContractServer(app.getHttpServer() as Server, hooks, runs);
  return { ...contract, close: async () => void (await contract.close(), await app.close()) };
});

const TOKEN = "nest-token-0123456789abcdef";
const SECRET = "nest-github-secret";

const setups = [
  { name: "bodyParser: false, hookrun mounted before Nest's parsers", create: createNestApp },
  { name: "rawBody: true, hookrun as a controller, parser limit raised", create: createRawBodyNestApp },
] as const;

describe.each(setups)("nestjs: $name", ({ create }) => {
  let hooks: InboundWebhooks;
  const runs = new RunLog();
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    hooks = createInboundWebhooks({
      webhooks: [
        { id: "alerts", auth: bearer(TOKEN), agent: recordingAgent(runs) },
        { id: "gh", auth: github({ secret: SECRET }), agent: recordingAgent(runs) },
      ],
      logger: memoryLogger(),
    });
    const app = await create(hooks);
    await app.init();
    const server = await listen(app.getHttpServer() as Server);
    base = `http://127.0.0.1:${server.port}`;
    close = async () => {
      await server.close();
      await app.close();
      await hooks.close();
    };
  });
  afterAll(() => close?.());

  const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, id = "alerts") =>
    fetch(`${base}/inbound-webhooks/${id}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  async function expectAccepted(response: Response, id = "alerts"): Promise<unknown> {
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { runId: string };
    expect(accepted).toStrictEqual({ status: "accepted", runId: accepted.runId, inboundWebhookId: id });
    const { envelope } = await runs.waitFor(accepted.runId);
    expect(Object.keys(envelope).sort()).toEqual(["inboundWebhookId", "page", "payload"]);
    expect(envelope.page).toBe("inbound_webhook");
    expect(envelope.inboundWebhookId).toBe(id);
    return envelope.payload;
  }

  it("accepts a bearer POST with 202 and hands the agent the exact envelope", async () => {
    const response = await post('{"event":"customer.alert.created","severity":"high"}');
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { runId: string };
    expect(accepted).toStrictEqual({ status: "accepted", runId: accepted.runId, inboundWebhookId: "alerts" });
    expect((await runs.waitFor(accepted.runId)).envelope).toStrictEqual({
      page: "inbound_webhook",
      inboundWebhookId: "alerts",
      payload: { event: "customer.alert.created", severity: "high" },
    });
  });

  it("accepts a 200 KB body (over body-parser's 100 KB default) with 202", async () => {
    const body = jsonOfSize(200 * 1024);
    expect(await expectAccepted(await post(body))).toStrictEqual(JSON.parse(body));
  });

  it("accepts a body of exactly 1,048,576 bytes and refuses one byte more with hookrun's 413", async () => {
    const exact = jsonOfSize(LIMIT);
    expect(Buffer.byteLength(exact)).toBe(1_048_576);
    expect(await expectAccepted(await post(exact))).toStrictEqual(JSON.parse(exact));

    const over = await post(jsonOfSize(LIMIT + 1));
    expect(over.status).toBe(413);
    expect(over.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await over.json()).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("refuses a wrong token with 401 unauthorized", async () => {
    const response = await post('{"event":"x"}', { authorization: "Bearer wrong-token" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="hookrun"');
    expect(await response.json()).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("verifies a GitHub signature over the raw bytes, not a re-serialized body", async () => {
    // Whitespace and key order that JSON.stringify(JSON.parse(body)) would not give back.
    const body = '{ "zeta": 1,\n  "alpha": [1, 2],  "nested": { "b": true, "a": null } }\n';
    expect(JSON.stringify(JSON.parse(body))).not.toBe(body);
    const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const payload = await expectAccepted(await post(body, { "x-hub-signature-256": signature, "x-github-event": "push" }, "gh"), "gh");
    expect(payload).toStrictEqual({ zeta: 1, alpha: [1, 2], nested: { b: true, a: null } });

    const resigned = `sha256=${createHmac("sha256", SECRET).update(JSON.stringify(JSON.parse(body))).digest("hex")}`;
    const refused = await post(body, { "x-hub-signature-256": resigned }, "gh");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "unauthorized" });
  });

  it("leaves the app's other routes Nest's parsed body (JSON and urlencoded)", async () => {
    const json = await fetch(`${base}/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"title":"hi","tags":["a"]}' });
    expect(json.status).toBe(201);
    expect(await json.json()).toStrictEqual({ received: { title: "hi", tags: ["a"] } });

    const form = await fetch(`${base}/notes`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "title=hi&tags[]=a" });
    expect(form.status).toBe(201);
    expect(await form.json()).toStrictEqual({ received: { title: "hi", tags: ["a"] } });
  });

  it("serves hooks.health() at /healthz", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toStrictEqual({ ready: true, closing: false, runner: { ok: true } });
  });
});


/** A POST of `body` with the contract token to the contract webhook on `port`. */
const postTo = (port: number) => (body: string) =>
  fetch(`http://127.0.0.1:${port}/inbound-webhooks/contract`, {
    method: "POST",
    headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-type": "application/json" },
    body,
  });

// Why docs/nestjs.md is needed: hookrun as a controller in a Nest app left at its defaults.
describe("nestjs: the pitfalls the recipe avoids", () => {
  async function start(options: NestApplicationOptions) {
    const { hooks, runs } = contractHooks();
    const app = await NestFactory.create<NestExpressApplication>(InboundWebhooksModule.register(hooks), { ...options, logger: false });
    await app.init();
    const server = await listen(app.getHttpServer() as Server);
    const post = postTo(server.port);
    return { runs, post, close: async () => void (await server.close(), await app.close(), await hooks.close()) };
  }

  it("Nest's default parser consumes the body: hookrun answers 500 saying to mount it first, never a hang", async () => {
    const { runs, post, close } = await start({});
    try {
      const response = await post('{"event":"x"}');
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ code: "internal_error", detail: expect.stringMatching(/Mount hookrun before any body parser/) });
      expect(runs.size).toBe(0);
    } finally {
      await close();
    }
  });

  it("the rawBody setup's costs: invalid JSON and bodies over the parser's 2 MB get Nest's errors, not hookrun's", async () => {
    const { hooks, runs } = contractHooks();
    const app = await createRawBodyNestApp(hooks);
    app.useLogger(false);
    await app.init();
    const server = await listen(app.getHttpServer() as Server);
    const post = postTo(server.port);
    try {
      const invalid = await post("{not json");
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toMatchObject({ statusCode: 400 });
      const huge = await post(jsonOfSize(2_200_000));
      expect(huge.status).toBe(413);
      expect(await huge.json()).toStrictEqual({ statusCode: 413, message: "request entity too large" });
      expect(runs.size).toBe(0);
    } finally {
      await server.close();
      await app.close();
      await hooks.close();
    }
  });

  it("with rawBody: true but the parser's 100 KB default, a 200 KB body gets the parser's 413, not hookrun's", async () => {
    const { runs, post, close } = await start({ rawBody: true });
    try {
      expect((await post('{"event":"small"}')).status).toBe(202);
      const response = await post(jsonOfSize(200 * 1024));
      expect(response.status).toBe(413);
      expect(response.headers.get("content-type")).not.toMatch(/problem\+json/);
      expect(runs.size).toBe(1);
    } finally {
      await close();
    }
  });
});
