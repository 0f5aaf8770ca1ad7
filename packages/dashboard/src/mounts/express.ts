import type { IncomingMessage, ServerResponse } from "node:http";
import { isUnder, serveNode, type NodeRequest } from "./node";

type FetchHandler = (request: Request) => Promise<Response>;

/** Express (4 or 5) middleware; typed structurally so the package needs no Express types. */
export type ExpressMount = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * `app.use(dashboard.express)` or `app.use("/hookrun", dashboard.express)`: Express strips the
 * mount path from `req.url` but keeps `req.originalUrl`, which is what the dashboard routes on.
 * A body `express.json()` already parsed is used as it is.
 */
export function expressMount(handler: FetchHandler, basePath: string): ExpressMount {
  return function hookrunDashboardExpress(req, res, next) {
    const request = req as NodeRequest;
    if (!isUnder(request.originalUrl ?? req.url ?? "/", basePath)) return next();
    serveNode(handler, request, res, request.body).catch(next);
  };
}
