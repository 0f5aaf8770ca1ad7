import { describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, HookrunConfigError, type WebhookDefinition } from "@hookrun/core";
import { bodyOf, contractHooks, CONTRACT_TOKEN, memoryLogger } from "../../../test/support/in-process";
import { RunLog, recordingAgent } from "../../../test/support/recorder";

const agent = () => undefined;

function configError(create: () => unknown): HookrunConfigError {
  try {
    create();
  } catch (error) {
    expect(error).toBeInstanceOf(HookrunConfigError);
    return error as HookrunConfigError;
  }
  throw new Error("expected a HookrunConfigError");
}

describe("createInboundWebhooks: options", () => {
  it.each([
    ["maxBodyBytes", { webhooks: [], maxBodyBytes: -1 }, "options.maxBodyBytes"],
    ["maxBodyBytes not an integer", { webhooks: [], maxBodyBytes: 1.5 }, "options.maxBodyBytes"],
    ["webhooks missing", {}, "options.webhooks"],
    ["webhook id with a slash", { webhooks: [{ id: "a/b", auth: bearer("t"), agent }] }, "options.webhooks.0.id"],
    ["auth not a verifier", { webhooks: [{ id: "a", auth: "t", agent }] }, "options.webhooks.0.auth"],
    ["agent missing", { webhooks: [{ id: "a", auth: bearer("t") }] }, "options.webhooks.0.agent"],
    ["both agent and agents", { webhooks: [{ id: "a", auth: bearer("t"), agent, agents: { b: agent } }] }, "options.webhooks.0.agent"],
    ["an empty agents map", { webhooks: [{ id: "a", auth: bearer("t"), agents: {} }] }, "options.webhooks.0.agents"],
    ["an agent name with a space", { webhooks: [{ id: "a", auth: bearer("t"), agents: { "a b": agent } }] }, "options.webhooks.0.agents.a b"],
    ["logger without error()", { webhooks: [], logger: { debug() {}, info() {}, warn() {} } }, "options.logger"],
    ["runner without enqueue()", { webhooks: [], runner: { start() {}, close() {} } }, "options.runner"],
  ])("names the field when %s is wrong", (_label, options, field) => {
    expect(configError(() => createInboundWebhooks(options as never)).field).toBe(field);
  });

  it("refuses duplicate webhook ids", () => {
    const error = configError(() =>
      createInboundWebhooks({ webhooks: [{ id: "a", auth: bearer("t"), agent }, { id: "a", auth: bearer("u"), agent }] }),
    );
    expect(error.field).toBe("webhooks.1.id");
    expect(error.message).toMatch(/duplicate webhook id "a"/);
  });

  it("says which webhook ids a list configures, and none for a resolver", async () => {
    const listed = createInboundWebhooks({ webhooks: [{ id: "b", auth: bearer("t"), agent }, { id: "a", auth: bearer("t"), agent }] });
    expect(listed.webhookIds).toEqual(["b", "a"]);
    expect(Object.isFrozen(listed.webhookIds)).toBe(true);
    const resolved = createInboundWebhooks({ webhooks: () => undefined });
    expect(resolved.webhookIds).toBeUndefined();
    await Promise.all([listed.close(), resolved.close()]);
  });

  it("never mutates the caller's options", () => {
    const webhook = { id: "a", auth: bearer("t"), agent };
    const options = { webhooks: [webhook] };
    const snapshot = structuredClone({ ids: options.webhooks.map((w) => w.id), keys: Object.keys(options) });
    createInboundWebhooks(options);
    expect({ ids: options.webhooks.map((w) => w.id), keys: Object.keys(options) }).toEqual(snapshot);
    expect(Object.keys(webhook)).toEqual(["id", "auth", "agent"]);
  });
});

describe("createInboundWebhooks: webhooks as a resolver", () => {
  it("looks webhooks up through an async function, like a database", async () => {
    const runs = new RunLog();
    const table = new Map<string, WebhookDefinition>([["db-hook", { id: "db-hook", auth: bearer(CONTRACT_TOKEN), agent: recordingAgent(runs) }]]);
    const asked: string[] = [];
    const hooks = createInboundWebhooks({
      webhooks: async (id) => {
        asked.push(id);
        return table.get(id);
      },
      logger: memoryLogger(),
    });
    const request = { method: "POST", webhookId: "db-hook", headers: { authorization: `Bearer ${CONTRACT_TOKEN}` }, body: "[1]" };
    const accepted = await hooks.handleInboundWebhook(request);
    expect(accepted.status).toBe(202);
    expect((await runs.waitFor(bodyOf<{ runId: string }>(accepted).runId)).envelope).toStrictEqual({
      page: "inbound_webhook",
      inboundWebhookId: "db-hook",
      payload: [1],
    });
    expect((await hooks.handleInboundWebhook({ ...request, webhookId: "missing" })).status).toBe(401);
    expect(asked).toContain("missing");
    await hooks.close();
  });

  it("answers 401 when the resolver returns a webhook with another id", async () => {
    const hooks = createInboundWebhooks({
      webhooks: () => ({ id: "other", auth: bearer(CONTRACT_TOKEN), agent }),
      logger: memoryLogger(),
    });
    const response = await hooks.handleInboundWebhook({
      method: "POST",
      webhookId: "asked",
      headers: { authorization: `Bearer ${CONTRACT_TOKEN}` },
      body: "{}",
    });
    expect(response.status).toBe(401);
  });

  it("answers 500 internal_error, logged, when the resolver throws, and keeps serving", async () => {
    const logger = memoryLogger();
    let fail = true;
    const hooks = createInboundWebhooks({
      webhooks: (id) => {
        if (fail) throw new Error("database is down");
        return { id, auth: bearer(CONTRACT_TOKEN), agent };
      },
      logger,
    });
    const request = { method: "POST", webhookId: "x", headers: { authorization: `Bearer ${CONTRACT_TOKEN}` }, body: "{}" };
    const failed = await hooks.handleInboundWebhook(request);
    expect(failed.status).toBe(500);
    expect(bodyOf(failed)).toMatchObject({ code: "internal_error" });
    expect(failed.body).not.toMatch(/database/);
    expect(logger.lines.find((line) => line.level === "error")?.fields.err).toMatchObject({ message: "database is down" });
    fail = false;
    expect((await hooks.handleInboundWebhook(request)).status).toBe(202);
  });

  it("reports a resolver's invalid definition as 500 with the field named in the log", async () => {
    const logger = memoryLogger();
    const hooks = createInboundWebhooks({ webhooks: (id) => ({ id, auth: bearer("t") }) as never, logger });
    const response = await hooks.handleInboundWebhook({ method: "POST", webhookId: "x", headers: {}, body: "{}" });
    expect(response.status).toBe(500);
    expect(JSON.stringify(logger.lines)).toMatch(/webhooks\(\\"x\\"\)\.agent/);
  });
});

describe("handleInboundWebhook: responses and events", () => {
  it("answers 202 with exactly status, runId and inboundWebhookId", async () => {
    const { hooks, request, events } = contractHooks();
    const response = await hooks.handleInboundWebhook(request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "idempotency-key": "d-1" } }));
    expect(response.status).toBe(202);
    expect(response.headers).toEqual({ "content-type": "application/json" });
    const body = bodyOf<{ runId: string }>(response);
    expect(body).toEqual({ status: "accepted", runId: body.runId, inboundWebhookId: "contract" });
    expect(events[0]).toEqual({ type: "request.accepted", webhookId: "contract", runId: body.runId, deliveryId: "d-1", replayed: false });
  });

  it("answers errors as RFC 9457 problem documents", async () => {
    const { hooks, request } = contractHooks();
    const response = await hooks.handleInboundWebhook(request({ method: "GET" }));
    expect(response).toEqual({
      status: 405,
      headers: { "content-type": "application/problem+json", allow: "POST" },
      body: JSON.stringify({
        type: "urn:hookrun:problem:method_not_allowed",
        title: "Method Not Allowed",
        status: 405,
        detail: "Only POST is allowed on an inbound webhook.",
        code: "method_not_allowed",
      }),
    });
  });

  it("logs which 401 it was (unknown id or bad credentials) while the answers are identical", async () => {
    const { hooks, request, logger, events } = contractHooks();
    const unknown = await hooks.handleInboundWebhook(request({ webhookId: "nope" }));
    const badToken = await hooks.handleInboundWebhook(request({ headers: { authorization: "Bearer wrong" } }));
    expect(unknown).toEqual(badToken);
    expect(logger.lines.map((line) => line.fields.reason)).toEqual(["unknown_webhook", "bad_credentials"]);
    expect(events.map((event) => event.type === "request.rejected" && event.reason)).toEqual(["unknown_webhook", "bad_credentials"]);
  });

  it("never rejects, even when the runner throws something unexpected", async () => {
    const { hooks, request, logger } = contractHooks(
      {},
      {
        runner: {
          name: "broken",
          roles: ["both"],
          start() {},
          enqueue: () => Promise.reject(new TypeError("boom")),
          deadLetters: async () => [],
          close: async () => {},
        },
      },
    );
    const response = await hooks.handleInboundWebhook(request());
    expect(response.status).toBe(500);
    expect(bodyOf(response)).toMatchObject({ code: "internal_error", detail: "The webhook could not be accepted because of a server error." });
    expect(logger.lines.at(-1)).toMatchObject({ level: "error", fields: { err: { name: "TypeError", message: "boom" } } });
  });

  it("ignores an onEvent that throws", async () => {
    const { hooks, request, logger } = contractHooks({}, {
      onEvent: () => {
        throw new Error("metrics down");
      },
    });
    expect((await hooks.handleInboundWebhook(request())).status).toBe(202);
    expect(logger.lines.some((line) => line.message === "onEvent threw; ignored")).toBe(true);
  });

  it("takes the delivery id from Idempotency-Key, webhook-id or X-GitHub-Delivery", async () => {
    const { hooks, request, runs } = contractHooks();
    for (const [header, value] of [["idempotency-key", "a"], ["webhook-id", "msg_b"], ["x-github-delivery", "c-uuid"]] as const) {
      const response = await hooks.handleInboundWebhook(request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, [header]: value } }));
      expect((await runs.waitFor(bodyOf<{ runId: string }>(response).runId)).ctx?.deliveryId).toBe(value);
    }
    const none = await hooks.handleInboundWebhook(request());
    expect((await runs.waitFor(bodyOf<{ runId: string }>(none).runId)).ctx?.deliveryId).toBeUndefined();
  });
});
