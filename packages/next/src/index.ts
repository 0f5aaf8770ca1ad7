import type { InboundWebhooks } from "@hookrun/core";
import { handleFetchRequest } from "@hookrun/core/fetch";

export * from "@hookrun/core";

/** Options of {@link createNextRouteHandlers}. */
export interface NextRouteHandlersOptions {
  /** Dynamic segment that holds the webhook id. Default `"webhookId"` (`[webhookId]`). */
  param?: string;
}

type Params = Record<string, string | string[] | undefined>;
/** Next 15+ passes `params` as a promise, Next 14 as an object; both are accepted. */
export interface NextRouteContext {
  params: Promise<Params> | Params;
}
export type NextRouteHandler = (request: Request, context: NextRouteContext) => Promise<Response>;

/**
 * Route handlers for `app/inbound-webhooks/[webhookId]/route.ts` (App Router, Node.js runtime).
 * Every method reaches hookrun, so non-POST requests get its `405`.
 *
 * @example
 * ```ts
 * // app/inbound-webhooks/[webhookId]/route.ts
 * import { createNextRouteHandlers } from "@hookrun/next";
 * import { hooks } from "@/lib/hooks";
 *
 * export const runtime = "nodejs";
 * export const { GET, POST, PUT, PATCH, DELETE } = createNextRouteHandlers(hooks);
 * ```
 */
export function createNextRouteHandlers(
  hooks: InboundWebhooks,
  options: NextRouteHandlersOptions = {},
): Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", NextRouteHandler> {
  const param = options.param ?? "webhookId";
  const handler: NextRouteHandler = async (request, context) => {
    const id = (await context.params)[param];
    return handleFetchRequest(hooks, request, typeof id === "string" ? id : "");
  };
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler };
}
