import { FETCH_BODY, type FetchBody } from "../body/read-body";
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

/** A Fetch `Request` as an `InboundRequest`; the body is read by hookrun with its limit. */
export function toInboundRequest(request: Request, webhookId: string, options?: FetchRequestOptions): InboundRequest {
  const inbound: InboundRequest = { method: request.method, webhookId, headers: request.headers, body: new RequestBody(request) };
  if (options?.waitUntil) inbound.waitUntil = options.waitUntil;
  return inbound;
}

/**
 * The request's body, not touched until hookrun reads it. perf: `request.body` is a getter that
 * some servers (`@hono/node-server`) answer by building a full Request and a ReadableStream;
 * hookrun reads a body of declared length with `arrayBuffer()` instead (see `readLimitedBody`).
 */
class RequestBody implements FetchBody {
  readonly [FETCH_BODY] = true as const;

  constructor(private readonly request: Request) {}

  get used(): boolean {
    return this.request.bodyUsed;
  }

  stream(): ReadableStream<Uint8Array> | null {
    return this.request.body;
  }

  whole(): Promise<ArrayBuffer> {
    return this.request.arrayBuffer();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const stream = this.request.body;
    if (stream !== null) yield* stream as unknown as AsyncIterable<Uint8Array>;
  }
}
