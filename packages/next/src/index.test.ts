import { describe, expect, it } from "vitest";
import { createNextRouteHandlers, HookrunError } from "@hookrun/next";
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
