import { createServer, request as httpRequest } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunsApi } from "@hookrun/core";
import { CONTENT_SECURITY_POLICY } from "@hookrun/dashboard";
import { launchChromium, openPage } from "./support/browser";
import { HOSTILE, liveDashboard, OPERATOR, VIEWER, type LiveDashboard } from "./support/live-hooks";
import { listen } from "./support/servers";

const rowIds = (rows: Element[]) => rows.map((row) => (row as HTMLElement).dataset.runId);

describe("dashboard in a real headless Chromium", () => {
  let browser: Browser;
  let live: LiveDashboard;
  let runs: RunsApi;
  let base: string;
  let failedRunId: string;
  let hostileRunId: string;
  let hostileResultRunId: string;
  let bigRunId: string;
  let agentRunId: string;
  const total = async () => (await runs.list({ limit: 500 })).runs.length;

  beforeAll(async () => {
    live = await liveDashboard({ pollIntervalMs: 300 });
    runs = live.runs;
    base = live.base;
    await live.settled(await live.send({ event: "customer.alert.created" }, { "idempotency-key": "delivery-ok" }));
    failedRunId = await live.send({ mode: "fail" }, { "idempotency-key": "delivery-failed" });
    hostileRunId = await live.send({ mode: "hostile", [HOSTILE]: HOSTILE, html: HOSTILE }, { "idempotency-key": HOSTILE, "x-evil": HOSTILE });
    hostileResultRunId = await live.send({ mode: "hostile-result" });
    bigRunId = await live.send({ items: Array.from({ length: 9_000 }, (_, i) => ({ i, text: "x".repeat(90) })), tail: "END-OF-BIG-PAYLOAD" });
    agentRunId = await live.send({ mode: "agent" });
    for (const runId of [failedRunId, hostileRunId, hostileResultRunId, bigRunId, agentRunId]) await live.settled(runId);
    // A refused request whose webhook id (as sent in the URL) is hostile.
    expect((await live.hooks.handleInboundWebhook({ method: "POST", webhookId: HOSTILE, headers: {}, body: "{}" })).status).toBe(401);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await live?.close();
  });

  it("lists runs, opens a failed one with its attempts (newest error first, stacks collapsed) and logs, replays it, and links both runs", async () => {
    const { page, context, problems } = await openPage(browser, OPERATOR);
    const response = await page.goto(base);
    expect(response!.status()).toBe(200);
    expect(response!.headers()["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
    await page.locator(`[data-run-id="${failedRunId}"]`).waitFor();
    expect(await page.getByTestId("run-row").count()).toBe(await total());
    expect(await page.getByTestId("role").textContent()).toBe("operator");

    await page.locator(`[data-run-id="${failedRunId}"] a`).click();
    await page.getByTestId("attempt").first().waitFor();
    expect(await page.getByTestId("run-id").textContent()).toBe(failedRunId);
    expect(await page.getByTestId("attempt-error").allTextContents()).toEqual(["CRM down (attempt 2)", "CRM down (attempt 1)"]);
    expect(await page.getByTestId("attempt-stack").first().isVisible()).toBe(false);
    expect(await page.getByTestId("attempt-stack").first().textContent()).toMatch(/^Error: CRM down \(attempt 2\)\n\s+at /);
    // One log line per attempt, each under its own attempt.
    expect(await page.getByTestId("attempt").nth(0).getByTestId("log-line").allTextContents()).toEqual([expect.stringMatching(/calling the CRM\{"account":"cus_123","attempt":2\}$/)]);
    expect(await page.getByTestId("attempt").nth(1).getByTestId("log-line").allTextContents()).toEqual([expect.stringMatching(/calling the CRM\{"account":"cus_123","attempt":1\}$/)]);

    await page.getByTestId("replay").click();
    await page.getByTestId("replay-of").waitFor();
    const replayId = await page.getByTestId("run-id").textContent();
    expect(replayId).not.toBe(failedRunId);
    expect(await page.getByTestId("replay-of").textContent()).toBe(`Replay of ${failedRunId}`);
    // The open page follows the replay until it settles: it fails again, twice.
    await page.locator("h1 .status-failed").waitFor();
    expect(await page.getByTestId("attempt-error").allTextContents()).toEqual(["CRM down (attempt 2)", "CRM down (attempt 1)"]);
    expect(live.seen.filter((request) => request.method === "POST")).toEqual([{ method: "POST", path: `/hookrun/api/runs/${failedRunId}/replay`, status: 202 }]);
    expect((await runs.get(replayId!))?.replayOf).toBe(failedRunId);

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
    const before = await page.getByTestId("run-row").evaluateAll(rowIds);
    const fresh = await live.send({ event: "arrives while the page is open" });
    await page.getByTestId("new-runs").waitFor();
    expect(await page.getByTestId("new-runs").textContent()).toBe("1 new run — show");
    expect(await page.getByTestId("run-row").evaluateAll(rowIds)).toEqual(before);
    await page.getByTestId("new-runs").click();
    expect(await page.getByTestId("run-row").evaluateAll(rowIds)).toEqual([fresh, ...before]);
    await page.locator(`[data-run-id="${fresh}"] .status-succeeded`).waitFor();
    await context.close();
  });

  it("filters by status and time, and finds a run by its run id or its delivery id", async () => {
    const { page, context } = await openPage(browser, VIEWER);
    await page.goto(base);
    await page.getByTestId("run-row").first().waitFor();
    const filter = async (fill: () => Promise<void>) => {
      await fill();
      // Wait for the list the new filter draws, not the one on screen.
      await page.getByTestId("runs").evaluate((table) => table.setAttribute("data-stale", ""));
      await page.getByRole("button", { name: "Filter" }).click();
      await page.locator("[data-testid=runs]:not([data-stale])").waitFor();
      return page.getByTestId("run-row").evaluateAll(rowIds);
    };
    // The run of that delivery, and its replays (a replay keeps the delivery id).
    const ofDelivery = (await runs.list({ deliveryId: "delivery-failed" })).runs.map((run) => run.runId);
    expect(ofDelivery).toContain(failedRunId);
    expect(await filter(() => page.getByTestId("search").fill("delivery-failed"))).toEqual(ofDelivery);
    expect(page.url()).toBe(`${base}#/runs?q=delivery-failed`);
    expect(await filter(() => page.getByTestId("search").fill(agentRunId))).toEqual([agentRunId]);
    await page.getByTestId("search").fill("");
    const failed = (await runs.list({ status: "failed", limit: 500 })).runs.map((run) => run.runId);
    expect(await filter(() => page.locator("select[name=status]").selectOption("failed").then(() => undefined))).toEqual(failed);
    expect(await filter(() => page.locator("select[name=within]").selectOption("1h").then(() => undefined))).toEqual(failed);
    expect(page.url()).toBe(`${base}#/runs?status=failed&within=1h`);
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
      const before = await total();
      live.seen.length = 0;
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
      expect(await total()).toBe(before);
      // The preflight got no CORS grant; the POSTs that were sent anyway were answered 403.
      expect(live.seen.filter((request) => request.method === "POST").map((request) => request.status)).toEqual([403, 403]);
      expect(live.seen.filter((request) => request.method === "OPTIONS").every((request) => request.status >= 400)).toBe(true);
      await context.close();
    } finally {
      await attacker.close();
    }
  });

  it("shows hostile strings from payloads, headers, ids, logs and errors as literal text and runs none of them", async () => {
    const { page, context, problems } = await openPage(browser, OPERATOR);
    await page.goto(base);
    await page.locator(`[data-run-id="${hostileRunId}"]`).waitFor();
    // The delivery id (Idempotency-Key) and the last error, in the list.
    expect(await page.locator(`[data-run-id="${hostileRunId}"] td`).nth(4).textContent()).toBe(HOSTILE);
    expect(await page.locator(`[data-run-id="${hostileRunId}"] td`).nth(7).textContent()).toBe(HOSTILE);
    await page.locator(`[data-run-id="${hostileRunId}"] a`).click();
    await page.getByTestId("attempt").first().waitFor();
    expect(await page.getByTestId("attempt-error").allTextContents()).toEqual([HOSTILE, HOSTILE]);
    expect(await page.getByTestId("attempt-stack").first().textContent()).toContain(`Error: ${HOSTILE}`);
    expect(await page.locator(".log-message").allTextContents()).toEqual([HOSTILE, HOSTILE]);
    expect(await page.getByTestId("log-line").first().textContent()).toContain(JSON.stringify({ [HOSTILE]: HOSTILE }));
    expect(await page.getByTestId("payload").textContent()).toContain(`${JSON.stringify(HOSTILE)}: ${JSON.stringify(HOSTILE)}`);
    expect(await page.getByTestId("request-header").allTextContents()).toContain(`x-evil${HOSTILE}`);
    expect(await page.locator("dd").nth(1).textContent()).toBe(HOSTILE);
    await page.goto(`${base}#/runs/${hostileResultRunId}`);
    await page.getByTestId("result").waitFor();
    expect(await page.getByTestId("result").textContent()).toBe(HOSTILE);
    await page.goto(`${base}#/refused`);
    await page.getByTestId("refused-row").waitFor();
    expect(await page.getByTestId("refused-row").locator("td").nth(1).textContent()).toBe(HOSTILE);
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

  it("summarizes runs per webhook over the last 24 hours, each count linking to those runs", async () => {
    await live.quiet();
    const failed = (await runs.list({ status: "failed", webhookId: "alerts", limit: 500 })).runs.length;
    const { page, context } = await openPage(browser, VIEWER);
    await page.goto(`${base}#/webhooks`);
    const row = page.getByTestId("webhook-row").filter({ hasText: "alerts" });
    await row.waitFor();
    expect(await row.locator("td").allTextContents()).toEqual(["alerts", String(await total()), "0", "0", "0", String((await total()) - failed), String(failed)]);
    await row.locator("td").nth(6).locator("a").click();
    await page.getByTestId("run-row").first().waitFor();
    expect(page.url()).toBe(`${base}#/runs?webhookId=alerts&status=failed`);
    expect(await page.getByTestId("run-row").count()).toBe(failed);
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
    const { matched } = await runs.replayMany({ status: "failed", webhookId: "alerts" }, { dryRun: true });
    expect(matched).toBeGreaterThan(1);
    expect(await page.getByTestId("replay-all-count").textContent()).toBe(`${matched} failed runs match this filter.`);
    const before = await total();
    await page.getByTestId("replay-all-confirm").click();
    await page.getByTestId("replay-all-done").waitFor();
    expect(await page.getByTestId("replay-all-done").textContent()).toBe(`Replayed ${matched} runs.`);
    expect(await total()).toBe(before + matched);
    await context.close();
  });

  it("works behind a proxy that serves it under an extra path prefix", async () => {
    const proxy = await listen(
      createServer((req, res) => {
        if (!req.url!.startsWith("/ops/")) return void res.writeHead(404).end();
        const upstream = httpRequest(`${live.server.origin}${req.url!.slice("/ops".length)}`, { method: req.method, headers: req.headers }, (answer) => {
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

  it("pages through more runs than one page holds with 'Load more', in order", async () => {
    for (let index = 0; index < 50; index++) await live.send({ event: "bulk", index });
    await live.quiet();
    const all = (await runs.list({ limit: 500 })).runs.map((run) => run.runId);
    expect(all.length).toBeGreaterThan(50);
    const { page, context } = await openPage(browser, VIEWER);
    await page.goto(base);
    await page.getByTestId("run-row").first().waitFor();
    expect(await page.getByTestId("run-row").evaluateAll(rowIds)).toEqual(all.slice(0, 50));
    await page.getByTestId("load-more").click();
    await page.locator(`[data-run-id="${all[all.length - 1]}"]`).waitFor();
    expect(await page.getByTestId("run-row").evaluateAll(rowIds)).toEqual(all.slice(0, 100));
    await context.close();
  });
});
