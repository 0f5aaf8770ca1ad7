import { HookrunError } from "../errors";
import type { InboundResponse } from "../types";

const JSON_HEADERS = { "content-type": "application/json" } as const;

const REPLAYED_HEADERS = { ...JSON_HEADERS, "idempotent-replayed": "true" } as const;

/**
 * `202 Accepted`: the job is held by the runner. `replayed` (a delivery id seen before) adds
 * `Idempotent-Replayed: true`; `runId` is then the first run's.
 */
export function acceptedResponse(runId: string, inboundWebhookId: string, replayed = false): InboundResponse {
  return {
    status: 202,
    headers: { ...(replayed ? REPLAYED_HEADERS : JSON_HEADERS) },
    body: JSON.stringify({ status: "accepted", runId, inboundWebhookId }),
  };
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
