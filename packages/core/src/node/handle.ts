import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboundWebhooks } from "../create-inbound-webhooks";
import { respondTo } from "../pipeline/respond-to";
import type { InboundRequest } from "../types";
import { toInboundRequest } from "./request";
import { writeInboundResponse } from "./response";

/**
 * Serves one request on plain `node:http` (or any framework that exposes Node's req/res).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { handleNodeRequest } from "@hookrun/core/node";
 *
 * createServer((req, res) => {
 *   const match = /^\/inbound-webhooks\/([^/?]+)/.exec(req.url ?? "");
 *   if (!match) return void res.writeHead(404).end();
 *   void handleNodeRequest(hooks, req, res, decodeURIComponent(match[1]));
 * }).listen(3000);
 * ```
 */
export function handleNodeRequest(
  hooks: InboundWebhooks,
  req: IncomingMessage,
  res: ServerResponse,
  webhookId: string,
  rawBody?: Uint8Array | string,
): Promise<void> {
  let request: InboundRequest;
  try {
    request = toInboundRequest(req, webhookId, rawBody);
  } catch (error) {
    return Promise.reject(error);
  }
  // perf: the answer is written in the turn the body ends (see runInboundWebhook).
  return respondTo(
    hooks,
    request,
    (response) => {
      if (!res.headersSent && !res.destroyed) writeInboundResponse(res, response);
    },
    true,
  );
}
