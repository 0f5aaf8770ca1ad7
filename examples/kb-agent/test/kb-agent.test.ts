import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInboundWebhooks, type InboundWebhooks } from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
import { recorder } from "../../../test/support/events";
import { memoryLogger, listen } from "../../../test/support/in-process";
import { kbWebhook } from "../src/kb-agent.js";
import { offlineModel } from "../src/model.js";

const secret = "kb-example-secret";
const push = {
  ref: "refs/heads/main",
  repository: { full_name: "acme/app", private: true },
  commits: [
    { id: "a1b2c3d4e5", message: "Document exports", added: ["docs/exports.md"], modified: ["src/export.ts"], removed: [] },
    { id: "f6a7b8c9d0", message: "Fix billing", added: [], modified: ["src/billing.ts", "src/export.ts"], removed: ["old.txt"] },
  ],
  pusher: { name: "dev" },
};

describe("KB agent example: GitHub push → hookrun → aiAgent (offline scripted model)", () => {
  const model = offlineModel();
  const rec = recorder();
  const events = rec.events;
  let draftsDir: string;
  let server: Awaited<ReturnType<typeof listen>>;
  let hooks: InboundWebhooks;


  const deliver = (payload: unknown, event = "push", signWith = secret) => {
    const body = JSON.stringify(payload);
    return fetch(`http://127.0.0.1:${server.port}/inbound-webhooks/github-push`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "x-hub-signature-256": `sha256=${createHmac("sha256", signWith).update(body).digest("hex")}`,
      },
      body,
    });
  };

  beforeAll(async () => {
    draftsDir = await mkdtemp(join(tmpdir(), "kb-drafts-"));
    hooks = createInboundWebhooks({ webhooks: [kbWebhook({ secret, model, draftsDir })], logger: memoryLogger(), onEvent: rec.onEvent });
    const app = express();
    app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
    server = await listen(createServer(app));
  });
  afterAll(() => server?.close());

  it("answers a signed push with 202; the agent lists the articles and drafts one update per affected article", async () => {
    const response = await deliver(push);
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    expect((await rec.finished(runId)).type).toBe("run.succeeded");

    expect((await readdir(draftsDir)).sort()).toEqual(["billing-and-invoices.md", "exporting-data.md"]);
    const key = /^[^·]+· (hk_[A-Za-z0-9_-]+) -->/;
    const exporting = await readFile(join(draftsDir, "exporting-data.md"), "utf8");
    expect(exporting.replace(key, "<!-- acme/app · KEY -->")).toBe(
      "<!-- acme/app · KEY -->\n# Exporting data\n\nReview this article against: docs/exports.md, src/export.ts.\n",
    );
    const billing = await readFile(join(draftsDir, "billing-and-invoices.md"), "utf8");
    expect(billing.replace(key, "<!-- acme/app · KEY -->")).toBe("<!-- acme/app · KEY -->\n# Billing and invoices\n\nReview this article against: src/billing.ts.\n");
    // Each draft is a write with its own effect key.
    expect(key.exec(exporting)![1]).not.toBe(key.exec(billing)![1]);
    // The agent's record is the run's result.
    const { result } = (await hooks.runs.get(runId))!;
    expect(result).toMatchObject({ stopReason: "completed", text: "Drafted 2 knowledge-base update(s) (offline model)." });
    expect((result as { steps: Array<{ toolCalls: Array<{ toolName: string; output?: unknown }> }> }).steps[1]!.toolCalls).toEqual([
      expect.objectContaining({ toolName: "draftUpdate", input: expect.objectContaining({ repository: "acme/app", article: "Exporting data" }), output: { draft: join(draftsDir, "exporting-data.md") } }),
      expect.objectContaining({ toolName: "draftUpdate", input: expect.objectContaining({ repository: "acme/app", article: "Billing and invoices" }), output: { draft: join(draftsDir, "billing-and-invoices.md") } }),
    ]);

    // Three steps: list, draft, summary; one tool event per call, no payload values in any event.
    const agentEvents = events.filter((event) => event.type.startsWith("agent.") && (event as { runId: string }).runId === runId);
    expect(agentEvents.map((event) => [event.type, (event as { toolName?: string }).toolName ?? (event as { finishReason?: string }).finishReason])).toEqual([
      ["agent.tool", "listArticles"],
      ["agent.step", "tool-calls"],
      ["agent.tool", "draftUpdate"],
      ["agent.tool", "draftUpdate"],
      ["agent.step", "tool-calls"],
      ["agent.step", "stop"],
    ]);
    expect(JSON.stringify(agentEvents)).not.toMatch(/acme|billing|export/i);

    // The operator's instructions went in the system role only; the push only as fenced data.
    const first = model.doGenerateCalls[0]!;
    expect(first.prompt.map((message) => message.role)).toEqual(["system", "user"]);
    expect(first.prompt[0]!.content).toMatch(/^You maintain a product knowledge base\./);
    const text = (first.prompt[1]!.content as Array<{ type: string; text: string }>).map((part) => part.text).join("");
    expect(text).not.toContain("You maintain a product knowledge base");
    const fence = /<(untrusted-webhook-data-[0-9a-f]{12})>/.exec(text)![1]!;
    const data = text.slice(text.indexOf(`<${fence}>\n`) + fence.length + 3, text.indexOf(`\n</${fence}>`));
    // The schema's output: the push without the keys the agent does not use.
    const { pusher: _pusher, ...expected } = { ...push, repository: { full_name: "acme/app" } };
    expect(JSON.parse(data)).toEqual({ page: "inbound_webhook", inboundWebhookId: "github-push", payload: expected });
  });

  it("ignores pings and pushes to other branches with 200, starting no run", async () => {
    const calls = model.doGenerateCalls.length;
    for (const response of [await deliver({ zen: "Keep it logically awesome." }, "ping"), await deliver({ ...push, ref: "refs/heads/dev" })]) {
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: "ignored" });
    }
    expect(model.doGenerateCalls.length).toBe(calls);
  });

  it("refuses a wrong signature with 401 and a malformed push with 422", async () => {
    expect((await deliver(push, "push", "not-the-secret")).status).toBe(401);
    const malformed = await deliver({ ...push, commits: "nope" });
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as { issues: Array<{ path: string[] }> }).issues[0]!.path).toEqual(["commits"]);
  });
});
