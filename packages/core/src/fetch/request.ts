import type { InboundRequest } from "../types";

/** What a Fetch runtime may add to a request: its keep-alive hook. */
export interface FetchRequestOptions {
  /**
   * The platform's `waitUntil` (Cloudflare's `ctx.waitUntil`, Vercel's `waitUntil`, Next's
   * `after`): `memoryRunner` hands it each accepted run, so the platform keeps the isolate or
   * function alive until the run ends. Default: none (a long-lived server needs none).
   */
  waitUntil?: (work: Promise<unknown>) => void;
}

/** A Fetch `Request` as an `InboundRequest`; the body stream is read by hookrun with its limit. */
export function toInboundRequest(request: Request, webhookId: string, options?: FetchRequestOptions): InboundRequest {
  const inbound: InboundRequest = { method: request.method, webhookId, headers: request.headers, body: request.body };
  if (options?.waitUntil) inbound.waitUntil = options.waitUntil;
  return inbound;
}
