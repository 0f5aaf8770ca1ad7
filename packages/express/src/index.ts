import type { InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import type { NextFunction, Request, RequestHandler, Response } from "express";

export * from "@hookrun/core";

/** Options of {@link createExpressHandler}. */
export interface ExpressHandlerOptions {
  /** Route parameter that holds the webhook id. Default `"webhookId"`. */
  param?: string;
}

/**
 * Express (4 or 5) handler for `app.all("/inbound-webhooks/:webhookId", ...)`. Mount it before
 * `express.json()`; if a parser runs first, keep its raw bytes in `req.rawBody`
 * (`express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`).
 *
 * @example
 * ```ts
 * import express from "express";
 * import { createExpressHandler } from "@hookrun/express";
 *
 * const app = express();
 * app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
 * ```
 */
export function createExpressHandler(hooks: InboundWebhooks, options: ExpressHandlerOptions = {}): RequestHandler {
  const param = options.param ?? "webhookId";
  return function hookrunExpressHandler(req: Request, res: Response, next: NextFunction): void {
    const rawBody = (req as { rawBody?: Uint8Array | string }).rawBody;
    const webhookId: unknown = req.params[param];
    handleNodeRequest(hooks, req, res, typeof webhookId === "string" ? webhookId : "", rawBody).catch(next);
  };
}
