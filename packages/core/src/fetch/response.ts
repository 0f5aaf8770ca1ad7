import type { InboundResponse } from "../types";

/** An `InboundResponse` as a Fetch `Response`. */
export function toFetchResponse(response: InboundResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}
