import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, RUN_STATUSES, type InboundWebhooksOptions, type RunStatus, type RunStore, type Runner, type StoredRunStart } from "@hookrun/core";
import { createDashboard } from "@hookrun/dashboard";
import { listen } from "./in-process";

const HOUR = 3_600_000;
/** More runs in the window than the summary ever read when it paged through runs (5,000). */
const IN_WINDOW = 5_300;
const BEFORE_WINDOW = 200;
const OPERATOR = "summary-operator-token-0123456789";
const CONFIGURED = ["alerts", "billing", "idle"];

export interface SummaryContractTarget {
  /** A run store of the kind under test, keeping at least `maxRuns` runs. */
  makeStore(maxRuns: number): RunStore;
  /** The runner the hooks use (its store is not the one given above unless it made it). */
  makeRunner(): Runner;
}

type Expected = Map<string, { webhookId: string; total: number; counts: Partial<Record<RunStatus, number>> }>;

/** Writes the run's lifecycle up to `status` through the store's own interface, as a runner would. */
async function write(store: RunStore, run: StoredRunStart, status: RunStatus): Promise<void> {
  await store.created(run);
  if (status === "queued") return;
  const startedAt = run.receivedAt + 1;
  await store.attemptStarted(run, 1, startedAt);
  if (status === "running") return;
  await store.attemptFinished(run, { attempt: 1, startedAt, finishedAt: startedAt + 1, durationMs: 1, status, logs: [], ...(status === "failed" || status === "retrying" ? { error: { message: "boom" } } : {}) });
}

/**
 * `GET <basePath>/api/summary` against a store holding more runs than a page-through could read:
 * its numbers are the store's exactly, with a static webhook list (plus runs of an id no longer in
 * it) and with a `webhooks` function.
 */
export function summaryContract(name: string, target: SummaryContractTarget): void {
  describe(`dashboard summary: ${name}`, () => {
    const store = target.makeStore(IN_WINDOW + BEFORE_WINDOW + 100);
    const expected: Expected = new Map();
    let since = 0;

    beforeAll(async () => {
      const now = Date.now();
      since = now - 24 * HOUR;
      // "removed" stands for a webhook taken out of the list whose runs are still kept; its runs
      // are the oldest in the window, so no newest-first page finds them early.
      const webhookOf = (i: number) => (i >= IN_WINDOW - 40 ? "removed" : i % 7 === 0 ? "billing" : "alerts");
      const runs: Array<{ run: StoredRunStart; status: RunStatus }> = [];
      for (let i = 0; i < IN_WINDOW + BEFORE_WINDOW; i++) {
        const inWindow = i < IN_WINDOW;
        const webhookId = inWindow ? webhookOf(i) : "alerts";
        const status = RUN_STATUSES[i % RUN_STATUSES.length]!;
        const receivedAt = inWindow ? now - HOUR - i * 1_000 : since - HOUR - i * 1_000;
        runs.push({ run: { runId: `summary-${i}`, webhookId, deliveryId: undefined, receivedAt }, status });
        if (!inWindow) continue;
        const entry = expected.get(webhookId) ?? { webhookId, total: 0, counts: {} };
        entry.total++;
        entry.counts[status] = (entry.counts[status] ?? 0) + 1;
        expected.set(webhookId, entry);
      }
      for (let i = 0; i < runs.length; i += 250) await Promise.all(runs.slice(i, i + 250).map(({ run, status }) => write(store, run, status)));
    }, 120_000);
    afterAll(async () => {
      await store.close?.();
    });

    async function summaryOf(webhooks: InboundWebhooksOptions["webhooks"]): Promise<unknown> {
      // The store is shared by both cases: closing these hooks must not close it.
      const shared: RunStore = Object.assign(Object.create(store) as RunStore, { close: async () => {} });
      const hooks = createInboundWebhooks({ webhooks, runner: target.makeRunner(), runs: { store: shared }, logger: { debug() {}, info() {}, warn() {}, error() {} } });
      const dashboard = createDashboard(hooks, { authorize: { operator: OPERATOR } });
      const server = await listen(createServer(dashboard.node));
      try {
        const response = await fetch(`http://127.0.0.1:${server.port}/hookrun/api/summary`, { headers: { authorization: `Bearer ${OPERATOR}` } });
        expect(response.status).toBe(200);
        return await response.json();
      } finally {
        await server.close();
        await hooks.close({ timeoutMs: 1_000 });
      }
    }

    function expectExact(summary: unknown): void {
      const webhooks = [...expected.values()].sort((a, b) => b.total - a.total || a.webhookId.localeCompare(b.webhookId));
      expect(webhooks.map((webhook) => webhook.webhookId)).toEqual(["alerts", "billing", "removed"]);
      expect(summary).toEqual({ since: expect.any(String), total: IN_WINDOW, webhooks });
      expect(Date.parse((summary as { since: string }).since)).toBeGreaterThanOrEqual(since);
    }

    it("counts every run of the last 24 hours per webhook and status with a static webhook list", async () => {
      const agent = () => undefined;
      expectExact(await summaryOf(CONFIGURED.map((id) => ({ id, auth: bearer("summary-webhook-token"), agent }))));
    });

    it("counts them as exactly with a webhooks function, whose ids only the runs tell", async () => {
      const agent = () => undefined;
      const definitions = new Map(CONFIGURED.map((id) => [id, { id, auth: bearer("summary-webhook-token"), agent }]));
      expectExact(await summaryOf(async (id) => definitions.get(id)));
    });
  });
}
