import { RUN_STATUSES, type RunsApi } from "@hookrun/core";

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 500;

export interface WebhookSummary {
  since: string;
  /** Every run received in the window, whatever its webhook. */
  total: number;
  /** The webhooks with runs in the window, most runs first. */
  webhooks: Array<{ webhookId: string; total: number; counts: Record<string, number> }>;
}

/**
 * Counts by webhook and status of the runs received in the 24 hours before `now`, from the store's
 * counts (exact whatever it holds). `webhookIds` are the configured ids (`hooks.webhookIds`).
 */
export async function webhookSummary(runs: RunsApi, webhookIds: readonly string[] | undefined, now: number): Promise<WebhookSummary> {
  const window = { since: now - DAY_MS, until: now };
  const total = await runs.count(window);
  const byWebhook = new Map<string, { total: number; counts: Record<string, number> }>();
  let covered = 0;
  async function add(webhookId: string): Promise<void> {
    const found = await Promise.all(RUN_STATUSES.map((status) => runs.count({ ...window, webhookId, status })));
    const entry = { total: 0, counts: {} as Record<string, number> };
    RUN_STATUSES.forEach((status, index) => {
      if (found[index]! > 0) entry.counts[status] = found[index]!;
      entry.total += found[index]!;
    });
    byWebhook.set(webhookId, entry);
    covered += entry.total;
  }
  await Promise.all((webhookIds ?? []).map(add));
  // Runs of ids no list names (a `webhooks` function's, a webhook since removed, another process's on
  // a shared store) are found by reading the window only until every counted run is accounted for.
  let cursor: string | undefined;
  while (covered < total) {
    const page = await runs.list({ ...window, limit: PAGE, ...(cursor === undefined ? {} : { cursor }) });
    for (const run of page.runs) if (!byWebhook.has(run.webhookId)) await add(run.webhookId);
    cursor = page.nextCursor;
    if (cursor === undefined) break;
  }
  const webhooks = [...byWebhook]
    .filter(([, entry]) => entry.total > 0)
    .map(([webhookId, entry]) => ({ webhookId, ...entry }))
    .sort((a, b) => b.total - a.total || a.webhookId.localeCompare(b.webhookId));
  return { since: new Date(window.since).toISOString(), total, webhooks };
}
