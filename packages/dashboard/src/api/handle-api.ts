import { z } from "zod";
import type { Role } from "../auth/token-authorize";
import { refuseUnsafeRequest } from "../auth/same-origin";
import { json, problem } from "../http/responses";
import type { RunFilter, RunRecord, RunsApi } from "@hookrun/core";
import { readJsonBody } from "./read-json-body";
import { webhookSummary } from "./summary";

const STATUS = z.enum(["queued", "running", "retrying", "succeeded", "failed"]);
/** ISO 8601 or epoch milliseconds, as epoch milliseconds. */
const instant = z
  .string()
  .transform((value) => (/^\d+$/.test(value) ? Number(value) : Date.parse(value)))
  .refine((ms) => Number.isFinite(ms), "expected an ISO 8601 date or epoch milliseconds");

const filterFields = {
  status: STATUS.optional(),
  webhookId: z.string().min(1).max(512).optional(),
  deliveryId: z.string().min(1).max(512).optional(),
  since: instant.optional(),
  until: instant.optional(),
};
const listQuery = z.object({
  ...filterFields,
  /** A run id or a delivery id. */
  q: z.string().min(1).max(512).optional(),
  cursor: z.string().min(1).max(2048).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const refusedQuery = z.object({ since: instant.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });
const replayBody = z.object({ reason: z.string().max(500).optional() }).strict();
const replayManyBody = z
  .object({
    filter: z.object({ ...filterFields, since: z.union([z.string(), z.number()]).optional(), until: z.union([z.string(), z.number()]).optional() }).strict(),
    dryRun: z.boolean().default(true),
    reason: z.string().max(500).optional(),
  })
  .strict();

/** What the list view shows of a run: no envelope, no result, no logs. */
function summarize(run: RunRecord) {
  const last = run.attempts[run.attempts.length - 1];
  return {
    runId: run.runId,
    webhookId: run.webhookId,
    agent: run.agent,
    deliveryId: run.deliveryId,
    status: run.status,
    receivedAt: run.receivedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    attempts: run.attempts.length,
    lastError: last?.error?.message,
    replayOf: run.replayOf,
    replays: run.replays,
  };
}

function invalid(error: z.ZodError): Response {
  const issue = error.issues[0]!;
  return problem("invalid_request", `${issue.path.join(".") || "request"}: ${issue.message}`);
}

function toInstant(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

/**
 * The JSON API under `<basePath>/api/`. `segments` is the path after `api/`, already decoded.
 * The caller has authenticated the request; this checks roles and, for POSTs, the CSRF rules.
 */
export async function handleApi(request: Request, segments: string[], role: Role, runs: RunsApi, webhookIds: readonly string[] | undefined): Promise<Response> {
  const route = segments.join("/");
  const method = request.method === "HEAD" ? "GET" : request.method;
  const isReplay = segments.length === 3 && segments[0] === "runs" && segments[2] === "replay";

  if (isReplay || route === "replay-many") {
    if (method !== "POST") return problem("method_not_allowed", "Use POST.", { headers: { allow: "POST" } });
    const refused = refuseUnsafeRequest(request);
    if (refused) return refused;
    if (role !== "operator") return problem("forbidden", "Replaying needs the operator role.");
    const body = await readJsonBody(request);
    if (body instanceof Response) return body;
    return isReplay ? replay(runs, segments[1]!, body) : replayMany(runs, body);
  }

  if (method !== "GET") return problem("method_not_allowed", "Use GET.", { headers: { allow: "GET, HEAD" } });
  const query = Object.fromEntries(new URL(request.url).searchParams);
  if (route === "session") return json(200, { role });
  if (route === "runs") return listRuns(runs, query);
  if (segments.length === 2 && segments[0] === "runs") {
    const run = await runs.get(segments[1]!);
    return run ? json(200, run) : problem("run_not_found", "No run with this id is recorded (unknown, or past retention).");
  }
  if (route === "refused") {
    const parsed = refusedQuery.safeParse(query);
    if (!parsed.success) return invalid(parsed.error);
    return json(200, { refused: await runs.refused(parsed.data) });
  }
  if (route === "summary") return json(200, await webhookSummary(runs, webhookIds, Date.now()));
  return problem("not_found", "No such API route.");
}

async function listRuns(runs: RunsApi, query: Record<string, string>): Promise<Response> {
  const parsed = listQuery.safeParse(query);
  if (!parsed.success) return invalid(parsed.error);
  const { q, ...filter } = parsed.data;
  if (q === undefined) {
    const page = await runs.list(filter);
    return json(200, { runs: page.runs.map(summarize), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
  }
  // Search: the run with that id, and the runs of that delivery.
  const [byId, byDelivery] = await Promise.all([runs.get(q), runs.list({ ...filter, deliveryId: q })]);
  const found = [...(byId ? [byId] : []), ...byDelivery.runs.filter((run) => run.runId !== q)];
  return json(200, { runs: found.map(summarize), ...(byDelivery.nextCursor ? { nextCursor: byDelivery.nextCursor } : {}) });
}

async function replay(runs: RunsApi, runId: string, body: unknown): Promise<Response> {
  const parsed = replayBody.safeParse(body ?? {});
  if (!parsed.success) return invalid(parsed.error);
  // An unknown run or one that cannot be replayed throws core's HookrunError (404 / 409), answered as it is.
  const { runId: replayRunId } = await runs.replay(runId, parsed.data);
  return json(202, { runId: replayRunId });
}

async function replayMany(runs: RunsApi, body: unknown): Promise<Response> {
  const parsed = replayManyBody.safeParse(body ?? {});
  if (!parsed.success) return invalid(parsed.error);
  const { filter, dryRun, reason } = parsed.data;
  const query: RunFilter = {};
  for (const [key, value] of Object.entries(filter)) if (value !== undefined) (query as Record<string, unknown>)[key] = key === "since" || key === "until" ? toInstant(value) : value;
  if ([query.since, query.until].some((ms) => ms !== undefined && !Number.isFinite(ms))) {
    return problem("invalid_request", "filter: since and until must be ISO 8601 dates or epoch milliseconds.");
  }
  // An empty filter is refused by hooks.runs itself (400 invalid_filter): it never replays every run.
  const answer = await runs.replayMany(query, { dryRun, ...(reason === undefined ? {} : { reason }) });
  return json(dryRun ? 200 : 202, answer);
}
