import { createServer, request as httpRequest } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks } from "@hookrun/core";
import { CONTENT_SECURITY_POLICY, createDashboard } from "@hookrun/dashboard";
import { launchChromium, openPage } from "./support/browser";
import { listen, type RunningServer } from "./support/servers";
import { hooksWith, standInRuns, type StandInRuns } from "./support/stand-in-runs";

const OPERATOR = "operator-token-0123456789";
const VIEWER = "viewer-token-0123456789";
const HOSTILE = `<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>"'&amp;`;

interface Seen {
  method: string;
  path: string;
  status: number;
}

describe("dashboard in a real headless Chromium", () => {
  let browser: Browser;
  let server: RunningServer;
  let runs: StandInRuns;
  let base: string;
  const seen: Seen[] = [];
  let failedRunId: string;
  let hostileRunId: string;
  let bigRunId: string;
  let agentRunId: string;

  beforeAll(async () => {
    runs = standInRuns();
    const hooks = hooksWith(runs, createInboundWebhooks({ webhooks: [{ id: "alerts", auth: bearer("t".repeat(20)), agent: () => undefined }] }));
    const dashboard = createDashboard(hooks, { authorize: { operator: OPERATOR, viewer: VIEWER }, pollIntervalMs: 300 });
    server = await listen(
      createServer((req, res) => {
        res.on("finish", () => seen.push({ method: req.method!, path: req.url!, status: res.statusCode }));
        dashboard.node(req, res);
      }),
    );
    base = `${server.origin}/hookrun/`;
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms).toISOString();
    runs.add({ webhookId: "alerts", status: "succeeded", receivedAt: at(-60_000), envelope: { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { ok: true } } });
    failedRunId = runs.add({
      webhookId: "alerts",
      status: "failed",
      deliveryId: "delivery-failed",
      receivedAt: at(-50_000),
      envelope: { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { event: "customer.alert.created" } },
      attempts: [
        { attempt: 1, startedAt: at(-49_000), finishedAt: at(-48_000), error: { message: "first failure", stack: "Error: first failure\n    at agent (agent.js:1:1)" }, logs: [{ time: at(-48_500), level: "info", message: "calling the CRM", fields: { account: "cus_123" } }] },
        { attempt: 2, startedAt: at(-47_000), finishedAt: at(-46_000), error: { message: "second failure", stack: "Error: second failure\n    at agent (agent.js:2:2)" }, logs: [{ time: at(-46_500), level: "warn", message: "CRM still down", fields: {} }] },
      ],
    }).runId;
    hostileRunId = runs.add({
      webhookId: HOSTILE,
      deliveryId: HOSTILE,
      agent: HOSTILE,
      status: "failed",
      receivedAt: at(-40_000),
      envelope: { page: "inbound_webhook", inboundWebhookId: HOSTILE, payload: { [HOSTILE]: HOSTILE, html: HOSTILE } },
      request: { headers: { "x-evil": HOSTILE, [HOSTILE]: "v" }, contentType: HOSTILE, bytes: 10 },
      result: HOSTILE,
      attempts: [{ attempt: 1, startedAt: at(-39_000), finishedAt: at(-38_000), error: { message: HOSTILE, stack: HOSTILE }, logs: [{ time: at(-38_500), level: HOSTILE, message: HOSTILE, fields: { [HOSTILE]: HOSTILE } }] }],
    }).runId;
    bigRunId = runs.add({
      webhookId: "alerts",
      receivedAt: at(-30_000),
      envelope: { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { items: Array.from({ length: 9_000 }, (_, i) => ({ i, text: "x".repeat(90) })), tail: "END-OF-BIG-PAYLOAD" } },
    }).runId;
    agentRunId = runs.add({
      webhookId: "alerts",
      receivedAt: at(-20_000),
      result: {
        stopReason: "completed",
        text: "Escalated cus_123.",
        usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
        steps: [
          { finishReason: "tool-calls", usage: { inputTokens: 60, outputTokens: 10, totalTokens: 70 }, toolCalls: [{ toolName: "lookupAccount", input: { id: "cus_123" }, output: { plan: "pro" }, durationMs: 12 }, { toolName: "deleteAccount", input: { id: "cus_123" }, refused: true, error: "tool not allowed", durationMs: 0 }] },
          { finishReason: "stop", usage: { inputTokens: 60, outputTokens: 20, totalTokens: 80 }, toolCalls: [] },
        ],
      },
    }).runId;
    runs.refusedEntries.push({ time: at(-10_000), webhookId: HOSTILE, status: 401, code: "unauthorized", reason: "unknown_webhook" });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("lists runs, opens a failed one with its attempts (newest error first, stacks collapsed) and logs, replays it, and links both runs", async () => {
    const { page, context, problems } = await openPage(browser, OPERATOR);
    const response = await page.goto(base);
    expect(response!.status()).toBe(200);
    expect(response!.headers()["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    await page.getByTestId("run-row").first().waitFor();
    expect(await page.getByTestId("run-row").count()).toBe(5);
    expect(await page.getByTestId("role").textContent()).toBe("operator");

    await page.locator(`[data-run-id="${failedRunId}"] a`).click();
    await page.getByTestId("attempt").first().waitFor();
    expect(await page.getByTestId("run-id").textContent()).toBe(failedRunId);
    expect(await page.getByTestId("attempt-error").allTextContents()).toEqual(["second failure", "first failure"]);
    expect(await page.getByTestId("attempt-stack").first().isVisible()).toBe(false);
    expect(await page.getByTestId("log-line").allTextContents()).toEqual([expect.stringContaining("CRM still down"), expect.stringContaining("calling the CRM")]);
    expect(await page.getByTestId("log-line").last().textContent()).toContain('{"account":"cus_123"}');

    await page.getByTestId("replay").click();
    await page.getByTestId("replay-of").waitFor();
    const replayId = await page.getByTestId("run-id").textContent();
    expect(replayId).not.toBe(failedRunId);
    expect(await page.getByTestId("replay-of").textContent()).toBe(`Replay of ${failedRunId}`);
    expect(seen.filter((request) => request.method === "POST")).toEqual([{ method: "POST", path: `/hookrun/api/runs/${failedRunId}/replay`, status: 202 }]);

    await page.getByTestId("replay-of").locator("a").click();
    await page.getByTestId("replays").waitFor();
    expect(await page.getByTestId("run-id").textContent()).toBe(failedRunId);
    expect(await page.getByTestId("replays").textContent()).toBe(`Replayed as ${replayId}`);

    await page.goto(`${base}#/runs`);
    await page.locator(`[data-run-id="${replayId}"]`).waitFor();
    expect(await problems()).toEqual([]);
    await context.close();
  });

  it("announces new runs in a bar instead of moving the rows, and adds them on click", async () => {
    const { page, context } = await openPage(browser, VIEWER);
    await page.goto(`${base}#/runs?webhookId=alerts`);
    await page.getByTestId("run-row").first().waitFor();
    const before = await page.getByTestId("run-row").evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.runId));
    const fresh = runs.add({ webhookId: "alerts", status: "running" });
    await page.getByTestId("new-runs").waitFor();
    expect(await page.getByTestId("new-runs").textContent()).toBe("1 new run — show");
    expect(await page.getByTestId("run-row").evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.runId))).toEqual(before);
    fresh.status = "succeeded";
    await page.getByTestId("new-runs").click();
    expect(await page.getByTestId("run-row").first().getAttribute("data-run-id")).toBe(fresh.runId);
    await page.locator(`[data-run-id="${fresh.runId}"] .status-succeeded`).waitFor();
    await context.close();
  });

  it("without credentials shows the sign-in page and no data", async () => {
    const { page, context } = await openPage(browser, undefined);
    const response = await page.goto(base);
    expect(response!.status()).toBe(401);
    expect(await page.locator("h1").textContent()).toBe("Sign in required");
    expect(await page.content()).not.toContain("delivery-failed");
    await context.close();
  });

  it("a viewer sees the replay buttons disabled, and the API refuses the viewer's replay with 403", async () => {
    const { page, context } = await openPage(browser, VIEWER);
    await page.goto(`${base}#/runs/${failedRunId}`);
    await page.getByTestId("attempt").first().waitFor();
    expect(await page.getByTestId("role").textContent()).toBe("viewer");
    expect(await page.getByTestId("replay").isDisabled()).toBe(true);
    const status = await page.evaluate(async (url) => (await fetch(url, { method: "POST", headers: { "x-hookrun-csrf": "1", "content-type": "application/json" }, body: "{}" })).status, `${base}api/runs/${failedRunId}/replay`);
    expect(status).toBe(403);
    await page.goto(`${base}#/failed`);
    await page.getByTestId("replay-all-start").waitFor();
    expect(await page.getByTestId("replay-all-start").isDisabled()).toBe(true);
    await context.close();
  });

  it("refuses a state change started by a page on another origin (another port), signed in or not", async () => {
    const attacker = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<!doctype html><form id="f" method="POST" action="${base}api/runs/${failedRunId}/replay"><input name="a" value="b"></form>`);
      }),
    );
    try {
      const { page, context } = await openPage(browser, OPERATOR);
      // Sign in to the dashboard first, so the browser holds (and would send) the credentials.
      await page.goto(base);
      await page.getByTestId("run-row").first().waitFor();
      const before = runs.records.length;
      seen.length = 0;
      await page.goto(`${attacker.origin}/`);
      const outcome = await page.evaluate(async (url) => {
        const withHeader = await fetch(url, { method: "POST", credentials: "include", headers: { "x-hookrun-csrf": "1" }, body: "{}" }).then(
          (response) => `answered ${response.status}`,
          (error: Error) => `blocked: ${error.name}`,
        );
        const simple = await fetch(url, { method: "POST", mode: "no-cors", credentials: "include", body: "{}" }).then(
          () => "read",
          (error: Error) => `blocked: ${error.name}`,
        );
        return { withHeader, simple };
      }, `${base}api/runs/${failedRunId}/replay`);
      // The custom header needs a CORS preflight, which is never granted: the POST is not even sent.
      // The simple POST is sent (and answered 403); Cross-Origin-Resource-Policy hides even that answer.
      expect(outcome).toEqual({ withHeader: "blocked: TypeError", simple: "blocked: TypeError" });
      const formAnswer = page.waitForResponse((response) => response.url().endsWith("/replay"));
      await page.locator("#f").evaluate((form) => (form as HTMLFormElement).submit());
      expect((await formAnswer).status()).toBe(403);
      expect(runs.records.length).toBe(before);
      // The preflight got no CORS grant; the POSTs that were sent anyway were answered 403.
      expect(seen.filter((request) => request.method === "POST").map((request) => request.status)).toEqual([403, 403]);
      expect(seen.filter((request) => request.method === "OPTIONS").every((request) => request.status >= 400)).toBe(true);
      await context.close();
    } finally {
      await attacker.close();
    }
  });

  it("shows hostile strings from payloads, headers, ids, logs and errors as literal text and runs none of them", async () => {
    const { page, context, problems } = await openPage(browser, OPERATOR);
    await page.goto(base);
    await page.locator(`[data-run-id="${hostileRunId}"]`).waitFor();
    expect(await page.locator(`[data-run-id="${hostileRunId}"] td`).nth(2).textContent()).toBe(`${HOSTILE} · ${HOSTILE}`);
    await page.locator(`[data-run-id="${hostileRunId}"] a`).click();
    await page.getByTestId("attempt").waitFor();
    expect(await page.getByTestId("attempt-error").textContent()).toBe(HOSTILE);
    expect(await page.getByTestId("attempt-stack").textContent()).toBe(HOSTILE);
    expect(await page.locator(".log-message").textContent()).toBe(HOSTILE);
    expect(await page.getByTestId("payload").textContent()).toContain(JSON.stringify(HOSTILE));
    expect(await page.getByTestId("request-header").allTextContents()).toEqual([`x-evil${HOSTILE}`, `${HOSTILE}v`]);
    expect(await page.getByTestId("result").textContent()).toBe(HOSTILE);
    expect(await page.locator("dd").first().textContent()).toBe(HOSTILE);
    await page.goto(`${base}#/refused`);
    await page.getByTestId("refused-row").waitFor();
    expect(await page.getByTestId("refused-row").locator("td").nth(1).textContent()).toBe(HOSTILE);
    await page.goto(`${base}#/webhooks`);
    await page.getByTestId("webhook-row").first().waitFor();
    expect(await page.getByTestId("webhooks").textContent()).toContain(HOSTILE);
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      images: document.querySelectorAll("img").length,
      scripts: document.querySelectorAll("script").length,
      handlers: [...document.querySelectorAll("*")].filter((element) => [...element.attributes].some((attribute) => attribute.name.startsWith("on"))).length,
    }));
    expect(injected).toEqual({ pwned: undefined, images: 0, scripts: 1, handlers: 0 });
    expect(await problems()).toEqual([]);
    await context.close();
  });

  it("shows an AI agent's record as steps and tool calls, refused calls marked", async () => {
    const { page, context } = await openPage(browser, VIEWER);
    await page.goto(`${base}#/runs/${agentRunId}`);
    await page.getByTestId("agent-record").waitFor();
    expect(await page.getByTestId("stop-reason").textContent()).toBe("completed");
    expect(await page.getByTestId("agent-text").textContent()).toBe("Escalated cus_123.");
    expect(await page.getByTestId("agent-step").count()).toBe(2);
    const calls = await page.getByTestId("tool-call").allTextContents();
    expect(calls[0]).toMatch(/^lookupAccountok12 ms/);
    expect(calls[1]).toMatch(/^deleteAccountrefused0 ms.*tool not allowed$/s);
    await context.close();
  });

  it("renders a 1 MiB payload: a preview at once, all of it on request", async () => {
    const { page, context, problems } = await openPage(browser, VIEWER);
    await page.goto(`${base}#/runs/${bigRunId}`);
    await page.getByTestId("payload").waitFor();
    const preview = await page.getByTestId("payload").textContent();
    expect(preview!.length).toBeLessThan(70_000);
    await page.getByTestId("payload-all").click();
    await page.waitForFunction(() => document.querySelector("[data-testid=payload]")!.textContent!.includes("END-OF-BIG-PAYLOAD"));
    expect((await page.getByTestId("payload").textContent())!.length).toBeGreaterThan(1_048_576);
    expect(await problems()).toEqual([]);
    await context.close();
  });

  it("replays all failed runs matching a filter after showing how many", async () => {
    const { page, context } = await openPage(browser, OPERATOR);
    await page.goto(`${base}#/failed?webhookId=alerts`);
    await page.getByTestId("replay-all-start").click();
    await page.getByTestId("replay-all-count").waitFor();
    expect(await page.getByTestId("replay-all-count").textContent()).toBe("1 failed run matches this filter.");
    const before = runs.records.length;
    await page.getByTestId("replay-all-confirm").click();
    await page.getByTestId("replay-all-done").waitFor();
    expect(await page.getByTestId("replay-all-done").textContent()).toBe("Replayed 1 run.");
    expect(runs.records.length).toBe(before + 1);
    await context.close();
  });

  it("works behind a proxy that serves it under an extra path prefix", async () => {
    const proxy = await listen(
      createServer((req, res) => {
        if (!req.url!.startsWith("/ops/")) return void res.writeHead(404).end();
        const upstream = httpRequest(`${server.origin}${req.url!.slice("/ops".length)}`, { method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        });
        req.pipe(upstream);
      }),
    );
    try {
      const { page, context, problems } = await openPage(browser, VIEWER);
      const response = await page.goto(`${proxy.origin}/ops/hookrun`);
      expect(response!.status()).toBe(200);
      await page.getByTestId("run-row").first().waitFor();
      await page.locator(`[data-run-id="${failedRunId}"] a`).click();
      await page.getByTestId("attempt").first().waitFor();
      expect(page.url()).toBe(`${proxy.origin}/ops/hookrun#/runs/${failedRunId}`);
      expect(await problems()).toEqual([]);
      await context.close();
    } finally {
      await proxy.close();
    }
  });
});
