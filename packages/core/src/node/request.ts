import type { IncomingMessage } from "node:http";
import type { InboundRequest } from "../types";

/**
 * An `IncomingMessage` as an `InboundRequest`. When a body parser already read the body and kept
 * the raw bytes (`req.rawBody`), pass them as `rawBody`; hookrun then verifies and parses exactly
 * those bytes. Without them, a consumed body is answered with an error telling the developer to
 * mount hookrun before the parser.
 */
export function toInboundRequest(req: IncomingMessage, webhookId: string, rawBody?: Uint8Array | string): InboundRequest {
  // perf: Node's headers object and the request stream are used as they are: no copy, no wrapper.
  return { method: req.method ?? "GET", webhookId, headers: req.headers, body: rawBody ?? req };
}
