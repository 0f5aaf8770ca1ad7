import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInboundWebhooks } from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
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

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    try {
      return await readFile(path, "utf8");
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`${path} was never written`);
}

describe("KB agent example: GitHub push → hookrun → AI SDK agent (offline mock model)", () => {
  const model = offlineModel();
  let draftsDir: string;
  let server: Awaited<ReturnType<typeof listen>>;

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
    const hooks = createInboundWebhooks({ webhooks: [kbWebhook({ secret, model, draftsDir })], logger: memoryLogger() });
    const app = express();
    app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
    server = await listen(createServer(app));
  });
  afterAll(() => server?.close());

  it("answers a signed push with 202, calls the model with the rendered context, and writes the draft", async () => {
    const response = await deliver(push);
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    const draft = await waitForFile(join(draftsDir, `${runId}.md`));
    expect(draft).toBe(
      "<!-- acme/app a1b2c3d f6a7b8c -->\n# KB updates for 3 changed file(s)\n\n" +
        "## Draft (offline model)\n\nReview the articles that cover: docs/exports.md, src/billing.ts, src/export.ts.\n",
    );

    expect(model.doGenerateCalls).toHaveLength(1);
    const [message] = model.doGenerateCalls[0]!.prompt;
    expect(message!.role).toBe("user");
    const text = (message!.content as Array<{ type: string; text: string }>).map((part) => part.text).join("");
    expect(text).toMatch(/^You maintain a product knowledge base\./);
    expect(text).toContain("Changed files: docs/exports.md, src/billing.ts, src/export.ts");
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
