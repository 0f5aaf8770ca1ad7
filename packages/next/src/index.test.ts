import { describe, expect, it } from "vitest";
import { afterEach } from "vitest";
import { createNextRouteHandlers, HookrunConfigError, HookrunError, memoryRunner, serverlessPlatform, type Runner } from "@hookrun/next";
import { contractHooks, CONTRACT_TOKEN } from "../../../test/support/in-process";

const request = (method: string, body?: string) =>
  new Request("http://localhost/inbound-webhooks/contract", {
    method,
    headers: { authorization: `Bearer ${CONTRACT_TOKEN}` },
    ...(body === undefined ? {} : { body }),
  });

// Over real HTTP, this adapter is covered by the Next.js example's contract test (`next build` + `next start`).
describe("createNextRouteHandlers", () => {
  it("serves POST with params as a promise (Next 15+) and as an object (Next 14)", async () => {
    const { hooks, runs } = contractHooks();
    const { POST } = createNextRouteHandlers(hooks);
    for (const params of [Promise.resolve({ webhookId: "contract" }), { webhookId: "contract" }]) {
      const response = await POST(request("POST", '{"next":true}'), { params });
      expect(response.status).toBe(202);
      const { runId } = (await response.json()) as { runId: string };
      expect((await runs.waitFor(runId)).envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: "contract", payload: { next: true } });
    }
  });

  it("routes every other exported method to the core's 405", async () => {
    const { hooks } = contractHooks();
    const handlers = createNextRouteHandlers(hooks);
    for (const method of ["GET", "PUT", "PATCH", "DELETE"] as const) {
      const response = await handlers[method](request(method, method === "GET" ? undefined : "{}"), { params: Promise.resolve({ webhookId: "contract" }) });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    }
  });

  it("reads the id from a custom segment name", async () => {
    const { hooks } = contractHooks();
    const { POST } = createNextRouteHandlers(hooks, { param: "hook" });
    expect((await POST(request("POST", "{}"), { params: { hook: "contract" } })).status).toBe(202);
    expect((await POST(request("POST", "{}"), { params: { webhookId: "contract" } })).status).toBe(401);
  });

  it("re-exports the core's public API", () => {
    expect(new HookrunError("unauthorized", "x").status).toBe(401);
  });
});

describe("createNextRouteHandlers: keeping in-memory runs alive", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ["NEXT_RUNTIME", "VERCEL"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it("hands each accepted run to after(), settled once the agent has finished", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { hooks, runs } = contractHooks({
      agent: async (envelope, ctx) => {
        await released;
        runs.record({ runId: ctx.runId, envelope });
      },
    });
    const handed: Promise<unknown>[] = [];
    const { POST } = createNextRouteHandlers(hooks, { after: (task) => void handed.push(task) });
    const response = await POST(request("POST", '{"kept":"alive"}'), { params: { webhookId: "contract" } });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    expect(handed).toHaveLength(1);
    let settled = false;
    void handed[0]!.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    release();
    await handed[0];
    expect((await runs.waitFor(runId)).envelope.payload).toEqual({ kept: "alive" });
    // A refused request hands nothing over.
    expect((await POST(request("POST", "{"), { params: { webhookId: "contract" } })).status).toBe(400);
    expect(handed).toHaveLength(1);
  });

  it("uses Next's own after() by default where next/server has it (here, Next 16)", async () => {
    const { hooks, runs, logger } = contractHooks();
    const { POST } = createNextRouteHandlers(hooks);
    // Outside a Next request scope after() throws: proof it was called. The run still happens.
    const response = await POST(request("POST", "{}"), { params: { webhookId: "contract" } });
    expect(response.status).toBe(202);
    await runs.waitFor(((await response.json()) as { runId: string }).runId);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: "warn", message: "waitUntil threw: this run is not kept alive", fields: expect.objectContaining({ err: expect.objectContaining({ message: expect.stringMatching(/outside a request scope/) }) }) }),
    );
  });

  it("refuses the Edge runtime with a clear error", () => {
    process.env.NEXT_RUNTIME = "edge";
    expect(() => createNextRouteHandlers(contractHooks().hooks)).toThrow(HookrunConfigError);
    expect(() => createNextRouteHandlers(contractHooks().hooks)).toThrow(/Edge runtime.*runtime = "nodejs"/);
  });

  it("warns once on a serverless platform without after() with the in-memory runner, never with a durable runner", async () => {
    process.env.VERCEL = "1";
    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message }) };
    const durable = Object.assign(Object.create(memoryRunner()) as Runner, { name: "bullmq" });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
    createNextRouteHandlers(contractHooks({}, { runner: durable }).hooks, { after: false, logger });
    createNextRouteHandlers(contractHooks().hooks, { after: (task) => void task, logger });
    await settle();
    expect(warnings).toEqual([]);
    createNextRouteHandlers(contractHooks().hooks, { after: false, logger });
    createNextRouteHandlers(contractHooks().hooks, { after: false, logger });
    await settle();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toEqual({ platform: "Vercel", runner: "memory" });
    expect(warnings[0]!.message).toMatch(/at most once.*maxDuration.*@hookrun\/bullmq/);
  });

  it("recognises serverless platforms from their environment", () => {
    expect(serverlessPlatform({ VERCEL: "1" })).toBe("Vercel");
    expect(serverlessPlatform({ AWS_LAMBDA_FUNCTION_NAME: "fn" })).toBe("AWS Lambda");
    expect(serverlessPlatform({ K_SERVICE: "svc" })).toBe("Google Cloud Run");
    expect(serverlessPlatform({ FUNCTION_TARGET: "handler", K_SERVICE: "svc" })).toBe("Google Cloud Run functions");
    expect(serverlessPlatform({ NETLIFY: "true" })).toBe("Netlify");
    expect(serverlessPlatform({ HOME: "/root" })).toBeUndefined();
  });
});
