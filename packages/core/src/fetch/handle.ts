import type { InboundWebhooks } from "../create-inbound-webhooks";
import { toInboundRequest } from "./request";
import { toFetchResponse } from "./response";

/**
 * Serves one Fetch `Request` (Next.js route handlers, Hono, Bun, Deno, Cloudflare-style runtimes).
 *
 * @example
 * ```ts
 * import { handleFetchRequest } from "@hookrun/core/fetch";
 * export default { fetch: (request: Request) => handleFetchRequest(hooks, request, idFrom(request)) };
 * ```
 */
export async function handleFetchRequest(hooks: InboundWebhooks, request: Request, webhookId: string): Promise<Response> {
  return toFetchResponse(await hooks.handleInboundWebhook(toInboundRequest(request, webhookId)));
}
