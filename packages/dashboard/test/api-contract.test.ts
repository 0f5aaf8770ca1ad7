import { createServer } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HookrunError, statusOf, type HookrunErrorCode } from "@hookrun/core";
import { CONTENT_SECURITY_POLICY, createDashboard } from "@hookrun/dashboard";
import { liveHooks, OPERATOR, VIEWER, type LiveHooks } from "./support/live-hooks";
import { listen, MOUNTS, serveDashboard, type RunningServer } from "./support/servers";

const basic = (token: string) => `Basic ${Buffer.from(`someone:${token}`).toString("base64")}`;
const asOperator = { authorization: basic(OPERATOR) };
const asViewer = { authorization: basic(VIEWER) };
const csrf = { "x-hookrun-csrf": "1", "content-type": "application/json" };

/** A problem document of core's one code union: its code, the status that goes with it, and core's title. */
async function expectProblem(response: Response, status: number, code: HookrunErrorCode): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["code", "detail", "status", "title", "type"]);
  const { title } = new HookrunError(code, "").toProblem();
  expect(body).toMatchObject({ status, code, title, type: `urn:hookrun:problem:${code}` });
}

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("x-frame-options")).toBe("DENY");
}

for (const mount of MOUNTS) {
  describe(`dashboard API contract: ${mount} mount`, () => {
    let server: RunningServer;
    let live: LiveHooks;
    let base: string;
    let failedRunId: string;
    const total = async () => (await live.runs.list({ limit: 500 })).runs.length;

    beforeAll(async () => {
      live = liveHooks();
      const dashboard = createDashboard(live.hooks, { authorize: { operator: OPERATOR, viewer: VIEWER } });
      server = await serveDashboard(dashboard, mount);
      base = `${server.origin}/hookrun/`;
      await live.settled(await live.send({ event: "x" }, { "idempotency-key": "delivery-1" }));
      failedRunId = await live.send({ mode: "fail" }, { "idempotency-key": "delivery-2" });
      await live.settled(failedRunId);
      await live.settled(await live.send({ mode: "fail" }, {}, "billing"));
    });
    afterAll(async () => {
      await server?.close();
      await live?.hooks.close();
    });

    const get = (path: string, headers: Record<string, string> = asOperator) => fetch(base + path, { headers });
    const post = (path: string, body: unknown, headers: Record<string, string> = { ...asOperator, ...csrf }) =>
      fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) });

    it("asks a browser without credentials to sign in (401, Basic challenge) and serves no data", async () => {
      const page = await fetch(base);
      expect(page.status).toBe(401);
      expect(page.headers.get("www-authenticate")).toBe('Basic realm="hookrun dashboard", charset="UTF-8"');
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expectSecurityHeaders(page);
      expect(await page.text()).not.toContain("delivery-1");
      await expectProblem(await get("api/runs", {}), 401, "unauthorized");
      await expectProblem(await get("api/runs", { authorization: basic("wrong-token-0123456789") }), 401, "unauthorized");
      await expectProblem(await get("api/runs", { authorization: "Bearer wrong" }), 401, "unauthorized");
    });

    it("serves the page with relative asset URLs at the base path with and without the slash", async () => {
      const withSlash = await get("");
      expect(withSlash.status).toBe(200);
      expectSecurityHeaders(withSlash);
      expect(withSlash.headers.get("cache-control")).toBe("no-store");
      expect(await withSlash.text()).toMatch(/<script src="assets\/app\.js\?v=[0-9a-f]{12}" data-poll-ms="3000" defer><\/script>/);
      const withoutSlash = await fetch(base.slice(0, -1), { headers: asOperator });
      expect(withoutSlash.status).toBe(200);
      expect(await withoutSlash.text()).toMatch(/<link rel="stylesheet" href="hookrun\/assets\/app\.css\?v=[0-9a-f]{12}">/);
    });

    it("serves its script and stylesheet from the package, with the same headers", async () => {
      const script = await fetch(`${base}assets/app.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expectSecurityHeaders(script);
      expect(await script.text()).toContain("function dashboardClient");
      const style = await fetch(`${base}assets/app.css`);
      expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
      expect((await fetch(`${base}assets/other.js`, { headers: asOperator })).status).toBe(404);
    });

    it("lists runs for a viewer, newest first, as summaries, never cached", async () => {
      const response = await get("api/runs", asViewer);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expectSecurityHeaders(response);
      const { runs: listed } = (await response.json()) as { runs: Array<Record<string, unknown>> };
      expect(listed.map((run) => run.webhookId)).toEqual(["billing", "alerts", "alerts"]);
      expect(listed[1]).toMatchObject({ runId: failedRunId, status: "failed", attempts: 2, lastError: "CRM down (attempt 2)", deliveryId: "delivery-2" });
      expect(listed[1]).not.toHaveProperty("envelope");
      expect(await (await get("api/session", asViewer)).json()).toEqual({ role: "viewer" });
      expect(await (await get("api/session", { authorization: `Bearer ${OPERATOR}` })).json()).toEqual({ role: "operator" });
    });

    it("filters by status and webhook, searches by run id or delivery id, and pages with a cursor", async () => {
      const ids = async (query: string) => ((await (await get(`api/runs?${query}`)).json()) as { runs: Array<{ runId: string; deliveryId?: string }> }).runs;
      expect((await ids("status=failed&webhookId=alerts")).map((run) => run.runId)).toEqual([failedRunId]);
      expect((await ids(`q=${failedRunId}`)).map((run) => run.runId)).toEqual([failedRunId]);
      expect((await ids("q=delivery-1")).map((run) => run.deliveryId)).toEqual(["delivery-1"]);
      const first = (await (await get("api/runs?limit=2")).json()) as { runs: unknown[]; nextCursor: string };
      expect(first.runs).toHaveLength(2);
      const second = (await (await get(`api/runs?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).json()) as { runs: unknown[]; nextCursor?: string };
      expect(second.runs).toHaveLength(1);
      expect(second).not.toHaveProperty("nextCursor");
      await expectProblem(await get("api/runs?status=bogus"), 400, "invalid_request");
      await expectProblem(await get("api/runs?since=yesterday"), 400, "invalid_request");
    });

    it("answers one run in full, and 404 for an unknown one", async () => {
      const run = (await (await get(`api/runs/${failedRunId}`)).json()) as Record<string, unknown>;
      expect(run).toMatchObject({ runId: failedRunId, envelope: { payload: { mode: "fail" } }, attempts: [{ attempt: 1, error: { message: "CRM down (attempt 1)" } }, { attempt: 2 }] });
      await expectProblem(await get("api/runs/no-such-run"), 404, "run_not_found");
      await expectProblem(await get("api/nothing-here"), 404, "not_found");
    });

    it("lets an operator replay a run (202 {runId}) and links the two both ways", async () => {
      const response = await post(`api/runs/${failedRunId}/replay`, { reason: "fixed the bug" });
      expect(response.status).toBe(202);
      const { runId } = (await response.json()) as { runId: string };
      expect(runId).not.toBe(failedRunId);
      expect(await (await get(`api/runs/${runId}`)).json()).toMatchObject({ replayOf: failedRunId });
      expect(((await (await get(`api/runs/${failedRunId}`)).json()) as { replays: string[] }).replays).toContain(runId);
      await expectProblem(await post("api/runs/no-such-run/replay", {}), 404, "run_not_found");
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, { unknown: 1 }), 400, "invalid_request");
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, { reason: "x".repeat(17_000) }), 413, "invalid_request");
    });

    it("answers its own refusals with core's codes and their statuses", async () => {
      const statuses = Object.fromEntries((["forbidden", "csrf_required", "cross_origin", "not_found", "invalid_request"] as const).map((code) => [code, statusOf(code)]));
      expect(statuses).toEqual({ forbidden: 403, csrf_required: 403, cross_origin: 403, not_found: 404, invalid_request: 400 });
      const refused = await post(`api/runs/${failedRunId}/replay`, {}, { ...asViewer, ...csrf });
      expect(await refused.json()).toEqual({ type: "urn:hookrun:problem:forbidden", title: "Forbidden", status: 403, detail: "Replaying needs the operator role.", code: "forbidden" });
      expect(await (await get("api/nothing-here")).json()).toEqual({ type: "urn:hookrun:problem:not_found", title: "Not Found", status: 404, detail: "No such API route.", code: "not_found" });
    });

    it("refuses a replay by a viewer, without the CSRF header, or from another origin (403), and replays nothing", async () => {
      const before = await total();
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, {}, { ...asViewer, ...csrf }), 403, "forbidden");
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, {}, { ...asOperator, "content-type": "application/json" }), 403, "csrf_required");
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, {}, { ...asOperator, ...csrf, origin: "http://evil.example" }), 403, "cross_origin");
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, {}, { ...asOperator, ...csrf, origin: "null" }), 403, "cross_origin");
      await expectProblem(await post(`api/runs/${failedRunId}/replay`, {}, { ...asOperator, ...csrf, "sec-fetch-site": "same-site" }), 403, "cross_origin");
      await expectProblem(await get("api/runs", { ...asOperator, "sec-fetch-site": "cross-site" }), 403, "cross_origin");
      await expectProblem(await fetch(`${base}api/runs/${failedRunId}/replay`, { headers: asOperator }), 405, "method_not_allowed");
      expect(await total()).toBe(before);
      // The page's own origin is fine.
      expect((await post(`api/runs/${failedRunId}/replay`, {}, { ...asOperator, ...csrf, origin: server.origin, "sec-fetch-site": "same-origin" })).status).toBe(202);
    });

    it("replay-many counts first (dryRun), refuses an empty filter, then replays what matches", async () => {
      const dry = await post("api/replay-many", { filter: { status: "failed", webhookId: "billing" }, dryRun: true });
      expect(dry.status).toBe(200);
      expect(await dry.json()).toEqual({ dryRun: true, matched: 1, replays: [], skipped: [] });
      await expectProblem(await post("api/replay-many", { filter: {}, dryRun: true }), 400, "invalid_filter");
      await expectProblem(await post("api/replay-many", { filter: { since: "not a date" } }), 400, "invalid_request");
      await expectProblem(await post("api/replay-many", { filter: { status: "failed" } }, { ...asViewer, ...csrf }), 403, "forbidden");
      const done = await post("api/replay-many", { filter: { status: "failed", webhookId: "billing" }, dryRun: false });
      expect(done.status).toBe(202);
      expect(await done.json()).toMatchObject({ dryRun: false, matched: 1, replays: [{ replayOf: expect.any(String) }] });
    });

    it("lists refused requests and a per-webhook summary of the last 24 hours", async () => {
      expect((await live.hooks.handleInboundWebhook({ method: "POST", webhookId: "nope", headers: {}, body: "{}" })).status).toBe(401);
      expect(await (await get("api/refused", asViewer)).json()).toEqual({ refused: [expect.objectContaining({ webhookId: "nope", status: 401, code: "unauthorized", reason: "unknown_webhook" })] });
      await live.quiet();
      const summary = (await (await get("api/summary", asViewer)).json()) as { since: string; total: number; webhooks: Array<{ webhookId: string; total: number; counts: Record<string, number> }> };
      const failedAlerts = (await live.runs.list({ webhookId: "alerts", status: "failed", limit: 500 })).runs.length;
      expect(summary.total).toBe(await live.runs.count({ since: Date.parse(summary.since) }));
      expect(summary.webhooks.find((webhook) => webhook.webhookId === "alerts")).toEqual({ webhookId: "alerts", total: failedAlerts + 1, counts: { succeeded: 1, failed: failedAlerts } });
    });

    it("leaves paths outside the base path to the host app", async () => {
      const response = await fetch(`${server.origin}/hookrunner`, { headers: asOperator });
      expect(response.status).toBe(404);
      if (mount === "node" || mount === "express" || mount === "koa") expect(await (await fetch(`${server.origin}/app-route`)).text()).toBe("app");
    });
  });
}

describe("dashboard under another base path", () => {
  let live: LiveHooks;
  let runId: string;
  beforeAll(async () => {
    live = liveHooks();
    runId = await live.send({ event: "x" });
    await live.settled(runId);
  });
  afterAll(() => live?.hooks.close());

  for (const mount of MOUNTS) {
    it(`${mount}: serves page, API and replay at /admin/runs`, async () => {
      const dashboard = createDashboard(live.hooks, { authorize: { operator: OPERATOR }, basePath: "/admin/runs" });
      const server = await serveDashboard(dashboard, mount);
      try {
        const page = await fetch(`${server.origin}/admin/runs`, { headers: asOperator });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<script src="runs/assets/app.js?v=');
        expect((await fetch(`${server.origin}/admin/runs/assets/app.js`)).status).toBe(200);
        expect(await (await fetch(`${server.origin}/admin/runs/api/session`, { headers: asOperator })).json()).toEqual({ role: "operator" });
        const replay = await fetch(`${server.origin}/admin/runs/api/runs/${runId}/replay`, { method: "POST", headers: { ...asOperator, ...csrf }, body: "{}" });
        expect(replay.status).toBe(202);
        expect((await fetch(`${server.origin}/hookrun/api/session`, { headers: asOperator })).status).toBe(404);
      } finally {
        await server.close();
      }
    });
  }

  it("express: also mounted without a path, app.use(dashboard.express)", async () => {
    const dashboard = createDashboard(live.hooks, { authorize: { operator: OPERATOR }, basePath: "/admin/runs" });
    const app = express();
    app.use(dashboard.express);
    app.get("/app-route", (_req, res) => void res.send("app"));
    const server = await listen(createServer(app));
    try {
      expect(await (await fetch(`${server.origin}/admin/runs/api/session`, { headers: asOperator })).json()).toEqual({ role: "operator" });
      expect(await (await fetch(`${server.origin}/app-route`)).text()).toBe("app");
    } finally {
      await server.close();
    }
  });
});
