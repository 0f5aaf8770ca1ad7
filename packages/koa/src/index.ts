import type { InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import type { Middleware } from "koa";

export * from "@hookrun/core";

/** Options of {@link createKoaMiddleware}. */
export interface KoaMiddlewareOptions {
  /** Router parameter that holds the webhook id. Default `"webhookId"`. */
  param?: string;
}

/**
 * Koa (2 or 3) middleware for `router.all("/inbound-webhooks/:webhookId", ...)` with
 * `@koa/router`. Mount it before any body parser; if one runs first, hookrun uses the raw bytes it
 * kept in `ctx.request.rawBody`. hookrun writes the response itself (`ctx.respond = false`), so an
 * early answer to a client still uploading gets a proper lingering close.
 *
 * @example
 * ```ts
 * import Router from "@koa/router";
 * import { createKoaMiddleware } from "@hookrun/koa";
 *
 * const router = new Router();
 * router.all("/inbound-webhooks/:webhookId", createKoaMiddleware(hooks));
 * app.use(router.routes());
 * ```
 */
export function createKoaMiddleware(hooks: InboundWebhooks, options: KoaMiddlewareOptions = {}): Middleware {
  const param = options.param ?? "webhookId";
  return async function hookrunKoaMiddleware(ctx) {
    const params = (ctx as { params?: Record<string, string | undefined> }).params;
    const rawBody = (ctx.request as { rawBody?: Uint8Array | string }).rawBody;
    ctx.respond = false;
    await handleNodeRequest(hooks, ctx.req, ctx.res, params?.[param] ?? "", rawBody);
  };
}
