import { HookrunError } from "../errors";
import type { InboundResponse } from "../types";

const JSON_HEADERS = { "content-type": "application/json" } as const;

const REPLAYED_HEADERS = { ...JSON_HEADERS, "idempotent-replayed": "true" } as const;

/** A run the `202` names: `agent` is set for a fan-out webhook's named agents. */
export interface AcceptedRun {
  agent: string | undefined;
  runId: string;
  replayed: boolean;
}

/**
 * `202 Accepted`: the jobs are held by the runner. `runId` is the (first) run's; a fan-out webhook
 * also lists every run as `runs: [{ agent, runId }]`. When every run is a replay (a delivery id
 * seen before), `Idempotent-Replayed: true` is added and the ids are the first delivery's.
 */
export function acceptedResponse(runs: readonly AcceptedRun[], inboundWebhookId: string): InboundResponse {
  const first = runs[0]!;
  if (runs.length === 1 && first.agent === undefined) {
    // perf: the one-run answer as a template (same bytes as JSON.stringify of the object below).
    const body = `{"status":"accepted","runId":${JSON.stringify(first.runId)},"inboundWebhookId":${JSON.stringify(inboundWebhookId)}}`;
    return { status: 202, headers: first.replayed ? { ...REPLAYED_HEADERS } : { "content-type": "application/json" }, body };
  }
  const replayed = runs.every((run) => run.replayed);
  const body =
    first.agent === undefined
      ? { status: "accepted", runId: first.runId, inboundWebhookId }
      : { status: "accepted", runId: first.runId, inboundWebhookId, runs: runs.map(({ agent, runId }) => ({ agent, runId })) };
  return { status: 202, headers: { ...(replayed ? REPLAYED_HEADERS : JSON_HEADERS) }, body: JSON.stringify(body) };
}

/** `200`: the webhook's filter said this delivery starts nothing. */
export function ignoredResponse(): InboundResponse {
  return { status: 200, headers: { ...JSON_HEADERS }, body: '{"status":"ignored"}' };
}

/** An `application/problem+json` response (RFC 9457) for a refused request. */
export function problemResponse(error: HookrunError): InboundResponse {
  return {
    status: error.status,
    headers: { "content-type": "application/problem+json", ...error.headers },
    body: JSON.stringify(error.toProblem()),
  };
}
