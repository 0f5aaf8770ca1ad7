import type { InboundRequest } from "../types";

/** A Fetch `Request` as an `InboundRequest`; the body stream is read by hookrun with its limit. */
export function toInboundRequest(request: Request, webhookId: string): InboundRequest {
  return { method: request.method, webhookId, headers: request.headers, body: request.body };
}
