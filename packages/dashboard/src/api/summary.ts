import type { RunsApi } from "@hookrun/core";

const DAY_MS = 24 * 60 * 60 * 1000;
/** The summary reads at most this many runs; beyond that it says it is partial (`truncated`). */
export const SUMMARY_MAX_RUNS = 5_000;
const PAGE = 500;

export interface WebhookSummary {
  since: string;
  scanned: number;
  truncated: boolean;
  webhooks: Array<{ webhookId: string; total: number; counts: Record<string, number> }>;
}

/** Counts by webhook and status of the runs received in the 24 hours before `now`. */
export async function webhookSummary(runs: RunsApi, now: number): Promise<WebhookSummary> {
  const since = now - DAY_MS;
  const byWebhook = new Map<string, { total: number; counts: Record<string, number> }>();
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await runs.list({ since, limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const run of page.runs) {
      const entry = byWebhook.get(run.webhookId) ?? { total: 0, counts: {} };
      entry.total++;
      entry.counts[run.status] = (entry.counts[run.status] ?? 0) + 1;
      byWebhook.set(run.webhookId, entry);
    }
    scanned += page.runs.length;
    cursor = page.nextCursor;
  } while (cursor && scanned < SUMMARY_MAX_RUNS);
  const webhooks = [...byWebhook].map(([webhookId, entry]) => ({ webhookId, ...entry })).sort((a, b) => b.total - a.total || a.webhookId.localeCompare(b.webhookId));
  return { since: new Date(since).toISOString(), scanned, truncated: cursor !== undefined, webhooks };
}
