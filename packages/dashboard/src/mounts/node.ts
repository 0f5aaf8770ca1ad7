import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

type FetchHandler = (request: Request) => Promise<Response>;

/** What the Node mounts read of a request: Node's, plus what Express and Koa add. */
export type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** A `node:http` request listener; given `next`, paths outside the base path go there. */
export type NodeMount = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** True when `url` (path and query) is at or under `basePath`. */
export function isUnder(url: string, basePath: string): boolean {
  const path = url.split("?", 1)[0]!;
  return path.startsWith(basePath) && (path.length === basePath.length || path[basePath.length] === "/");
}

/**
 * A Node request as a Fetch `Request`, with the path the app received (`path`, else `originalUrl`
 * when a router stripped a mount path). A body a parser already consumed is taken from
 * `parsedBody` as JSON.
 */
export function toFetchRequest(req: NodeRequest, parsedBody?: unknown, path?: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const secure = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const url = `${secure ? "https" : "http"}://${req.headers.host ?? "localhost"}${path ?? req.originalUrl ?? req.url ?? "/"}`;
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  const consumed = req.readableEnded || (req as { complete?: boolean }).complete === true;
  if (consumed) {
    headers.delete("content-length");
    return new Request(url, { method, headers, body: parsedBody === undefined ? null : JSON.stringify(parsedBody) });
  }
  return new Request(url, { method, headers, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } as RequestInit);
}

/** Writes a Fetch `Response` (small, buffered) to a Node `ServerResponse`. */
export async function writeFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  if (res.headersSent || res.destroyed) return;
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.setHeader("content-length", body.byteLength);
  res.end(body);
}

/** Serves one Node request with the Fetch handler. */
export function serveNode(handler: FetchHandler, req: NodeRequest, res: ServerResponse, parsedBody?: unknown, path?: string): Promise<void> {
  return handler(toFetchRequest(req, parsedBody, path)).then((response) => writeFetchResponse(res, response));
}

export function nodeMount(handler: FetchHandler, basePath: string): NodeMount {
  return function hookrunDashboardNode(req, res, next) {
    const request = req as NodeRequest;
    if (next && !isUnder(request.originalUrl ?? req.url ?? "/", basePath)) return next();
    serveNode(handler, request, res, request.body).catch((error: unknown) => (next ? next(error) : res.destroy(error as Error)));
  };
}
