import type { IncomingMessage, ServerResponse } from "node:http";
import { isUnder, serveNode } from "./node";

type FetchHandler = (request: Request) => Promise<Response>;

/** What the Koa mount reads of Koa's context (typed structurally: no Koa types needed). */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl: string;
  respond?: boolean;
  request: { body?: unknown };
}

/** Koa (2 or 3) middleware. */
export type KoaMount = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown>;

/**
 * `app.use(dashboard.koa)`: requests under the base path are answered here (hookrun writes the
 * response itself, `ctx.respond = false`), everything else goes on to `next()`. A body a Koa body
 * parser already read is taken from `ctx.request.body`.
 */
export function koaMount(handler: FetchHandler, basePath: string): KoaMount {
  return async function hookrunDashboardKoa(ctx, next) {
    if (!isUnder(ctx.originalUrl, basePath)) return next();
    ctx.respond = false;
    await serveNode(handler, ctx.req, ctx.res, ctx.request.body, ctx.originalUrl);
  };
}
