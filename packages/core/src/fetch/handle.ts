import type { InboundWebhooks } from "../create-inbound-webhooks";
import { respondTo } from "../pipeline/respond-to";
import type { InboundRequest } from "../types";
import { toInboundRequest, type FetchRequestOptions } from "./request";
import { toFetchResponse } from "./response";

/**
 * Serves one Fetch `Request` (Next.js route handlers, Hono, Bun, Deno, Cloudflare-style runtimes).
 * Where the platform freezes the process once the response is sent, pass its `waitUntil`.
 *
 * @example
 * ```ts
 * import { handleFetchRequest } from "@hookrun/core/fetch";
 * // Bun / Deno: a long-lived process, nothing to keep alive.
 * export default { fetch: (request: Request) => handleFetchRequest(hooks, request, idFrom(request)) };
 * // Cloudflare Workers: keep the isolate alive until the run ends.
 * export default {
 *   fetch: (request: Request, _env: unknown, ctx: ExecutionContext) =>
 *     handleFetchRequest(hooks, request, idFrom(request), { waitUntil: (work) => ctx.waitUntil(work) }),
 * };
 * ```
 */
export function handleFetchRequest(hooks: InboundWebhooks, request: Request, webhookId: string, options?: FetchRequestOptions): Promise<Response> {
  let inbound: InboundRequest;
  try {
    inbound = toInboundRequest(request, webhookId, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return respondTo(hooks, inbound, toFetchResponse);
}
