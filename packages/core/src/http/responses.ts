import { HookrunError } from "../errors";
import type { InboundResponse } from "../types";

const JSON_HEADERS = { "content-type": "application/json" } as const;

/** `202 Accepted`: the job is held by the runner. */
export function acceptedResponse(runId: string, inboundWebhookId: string): InboundResponse {
  return {
    status: 202,
    headers: { ...JSON_HEADERS },
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
