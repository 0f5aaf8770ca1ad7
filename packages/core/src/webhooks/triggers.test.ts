import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { bearer, defineWebhook, type Envelope } from "@hookrun/core";
import { bodyOf, contractHooks, CONTRACT_TOKEN } from "../../../../test/support/in-process";

const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${CONTRACT_TOKEN}`, ...extra });

describe("filter", () => {
  it("answers 200 ignored and starts no run when the filter says no", async () => {
    const t = contractHooks({ filter: (_payload, request) => request.header("x-github-event") === "push" });
    const ping = await t.hooks.handleInboundWebhook(t.request({ headers: headers({ "x-github-event": "ping" }), body: '{"zen":"hi"}' }));
    expect(ping).toEqual({ status: 200, headers: { "content-type": "application/json" }, body: '{"status":"ignored"}' });
    const push = await t.hooks.handleInboundWebhook(t.request({ headers: headers({ "x-github-event": "push" }) }));
    expect(push.status).toBe(202);
    await t.hooks.close();
    expect(t.runs.size).toBe(1);
    expect(t.events.filter((event) => event.type === "request.ignored")).toEqual([
      { type: "request.ignored", webhookId: "contract", deliveryId: undefined },
    ]);
  });

  it("sees the payload, the delivery id and safe headers, but never credentials or signatures", async () => {
    const seen: Record<string, unknown> = {};
    const t = contractHooks({
      filter: async (payload, request) => {
        Object.assign(seen, {
          payload,
          deliveryId: request.deliveryId,
          event: request.header("X-GitHub-Event"),
          authorization: request.header("authorization"),
          cookie: request.header("cookie"),
          signature: request.header("x-hub-signature-256"),
          stripe: request.header("stripe-signature"),
        });
        return (payload as { ref?: string }).ref === "refs/heads/main";
      },
    });
    const response = await t.hooks.handleInboundWebhook(
      t.request({
        headers: headers({ "x-github-event": "push", cookie: "s=1", "x-hub-signature-256": "sha256=ab", "stripe-signature": "t=1", "x-github-delivery": "d1" }),
        body: '{"ref":"refs/heads/dev"}',
      }),
    );
    expect(response.status).toBe(200);
    expect(seen).toEqual({ payload: { ref: "refs/heads/dev" }, deliveryId: "d1", event: "push", authorization: undefined, cookie: undefined, signature: undefined, stripe: undefined });
  });

  it("reads as undefined exactly the headers a run record does not store", async () => {
    const sent: Record<string, string> = {
      "x-api-key": "k-1",
      cookie: "s=1",
      "set-cookie": "s=2",
      "proxy-authorization": "Basic cA==",
      "x-hub-signature": "sha1=ab",
      "x-hub-signature-256": "sha256=ab",
      "x-slack-signature": "v0=ab",
      "x-auth-token": "t-1",
      "x-session-id": "sess-1",
      "x-client-secret": "cs-1",
      "x-github-event": "push",
      "x-request-id": "req-1",
      "user-agent": "GitHub-Hookshot/1",
    };
    const readable: Record<string, string | undefined> = {};
    const t = contractHooks({
      filter: (_payload, request) => {
        for (const name of ["authorization", ...Object.keys(sent)]) readable[name] = request.header(name);
        return true;
      },
    });
    const response = await t.hooks.handleInboundWebhook(t.request({ headers: headers(sent) }));
    expect(response.status).toBe(202);
    const stored = (await t.hooks.runs.get(bodyOf<{ runId: string }>(response).runId))!.request!.headers;
    expect(readable).toEqual({
      authorization: undefined,
      "x-api-key": undefined,
      cookie: undefined,
      "set-cookie": undefined,
      "proxy-authorization": undefined,
      "x-hub-signature": undefined,
      "x-hub-signature-256": undefined,
      "x-slack-signature": undefined,
      "x-auth-token": undefined,
      "x-session-id": undefined,
      "x-client-secret": undefined,
      "x-github-event": "push",
      "x-request-id": "req-1",
      "user-agent": "GitHub-Hookshot/1",
    });
    const readableNames = Object.keys(readable).filter((name) => readable[name] !== undefined);
    expect(Object.keys(stored).filter((name) => name in readable).sort()).toEqual(readableNames.sort());
    await t.hooks.close();
  });

  it("answers 500 internal_error, logged, when the filter throws", async () => {
    const t = contractHooks({
      filter: () => {
        throw new Error("filter bug");
      },
    });
    const response = await t.hooks.handleInboundWebhook(t.request());
    expect(response.status).toBe(500);
    expect(t.logger.lines.at(-1)?.fields.err).toMatchObject({ message: "filter bug" });
  });
});

describe("schema", () => {
  const schema = z.object({ ref: z.string(), commits: z.array(z.object({ id: z.string(), modified: z.array(z.string()) })) });

  it("answers 422 invalid_payload with each issue's path and message, and no values", async () => {
    const t = contractHooks({ schema });
    const response = await t.hooks.handleInboundWebhook(t.request({ body: '{"ref":42,"commits":[{"id":"secret-value-7","modified":"nope"}]}' }));
    expect(response.status).toBe(422);
    const problem = bodyOf<{ code: string; issues: Array<{ path: string[]; message: string }> }>(response);
    expect(problem.code).toBe("invalid_payload");
    expect(problem.issues.map((issue) => issue.path)).toEqual([["ref"], ["commits", "0", "modified"]]);
    expect(problem.issues.every((issue) => typeof issue.message === "string" && issue.message.length > 0)).toBe(true);
    expect(response.body).not.toContain("secret-value-7");
    expect(response.body).not.toContain("nope");
    expect(t.runs.size).toBe(0);
  });

  it("hands the agent the schema's output", async () => {
    const t = contractHooks({ schema: z.object({ n: z.coerce.number() }) });
    const response = await t.hooks.handleInboundWebhook(t.request({ body: '{"n":"42","dropped":true}' }));
    expect(response.status).toBe(202);
    expect((await t.runs.waitFor(bodyOf<{ runId: string }>(response).runId)).envelope.payload).toEqual({ n: 42 });
  });

  it("is checked after the filter, so ignored events need not match it", async () => {
    const t = contractHooks({ schema, filter: (payload) => typeof payload === "object" && payload !== null && "ref" in payload });
    expect((await t.hooks.handleInboundWebhook(t.request({ body: '{"zen":"ping"}' }))).status).toBe(200);
  });

  it("types the agent's envelope from the schema (type test: a wrong field access does not compile)", () => {
    const webhook = defineWebhook({
      id: "github-push",
      auth: bearer("t"),
      schema,
      agent: (envelope) => {
        expectTypeOf(envelope).toEqualTypeOf<Envelope<{ ref: string; commits: Array<{ id: string; modified: string[] }> }>>();
        expectTypeOf(envelope.payload.commits[0]!.modified).toEqualTypeOf<string[]>();
        // @ts-expect-error `branch` is not in the schema
        return envelope.payload.branch;
      },
    });
    const untyped = defineWebhook({
      id: "any",
      auth: bearer("t"),
      agent: (envelope) => {
        expectTypeOf(envelope.payload).toBeUnknown();
      },
    });
    expect([webhook.id, untyped.id]).toEqual(["github-push", "any"]);
  });
});
