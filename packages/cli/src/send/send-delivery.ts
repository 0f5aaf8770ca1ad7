import { signingHeaders, type Signing } from "../sign/signing-headers";

/** One test delivery. */
export interface Delivery {
  url: string;
  /** Sent byte for byte; signatures cover exactly these bytes. */
  body: string | Uint8Array;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string | undefined;
  signing?: Signing | undefined;
  /** Sent as `Idempotency-Key` (and as the Standard Webhooks `webhook-id` when signing that way). */
  deliveryId?: string | undefined;
  /** Extra headers, set after the ones above so they can override them. */
  headers?: Record<string, string> | undefined;
  /** Abort after this many milliseconds. */
  timeoutMs: number;
  /** Unix seconds for signature timestamps. Default: now. */
  timestamp?: number | undefined;
}

/** What the server answered. */
export interface DeliveryResult {
  status: number;
  statusText: string;
  /** From just before the request to the last body byte. */
  durationMs: number;
  body: string;
  contentType: string | null;
}

/** The delivery never got an answer: refused, unreachable, timed out, bad URL. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
}

/** The headers of a delivery: JSON content type, bearer token, idempotency key, signature. */
export function deliveryHeaders(delivery: Omit<Delivery, "url" | "timeoutMs">): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "hookrun-cli" };
  if (delivery.token !== undefined) headers.authorization = `Bearer ${delivery.token}`;
  if (delivery.deliveryId !== undefined) headers["idempotency-key"] = delivery.deliveryId;
  if (delivery.signing) {
    const timestamp = delivery.timestamp ?? Math.floor(Date.now() / 1000);
    Object.assign(headers, signingHeaders(delivery.signing, delivery.body, { timestamp, deliveryId: delivery.deliveryId }));
  }
  for (const [name, value] of Object.entries(delivery.headers ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * POSTs one delivery and reads the whole answer.
 *
 * @throws DeliveryError when no HTTP answer came back; the message names the URL and the cause,
 *   never the token or a secret.
 */
export async function sendDelivery(delivery: Delivery): Promise<DeliveryResult> {
  let url: URL;
  try {
    url = parseDeliveryUrl(delivery.url);
  } catch (error) {
    throw new DeliveryError((error as Error).message);
  }
  const headers = deliveryHeaders(delivery);
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers,
      // TS 5.9's DOM types refuse Uint8Array<ArrayBufferLike> (it could be shared memory); ours never is.
      body: delivery.body as string | Uint8Array<ArrayBuffer>,
      redirect: "manual",
      signal: AbortSignal.timeout(delivery.timeoutMs),
    });
    const body = await response.text();
    return {
      status: response.status,
      statusText: response.statusText,
      durationMs: performance.now() - started,
      body,
      contentType: response.headers.get("content-type"),
    };
  } catch (error) {
    throw new DeliveryError(`could not deliver to ${url.href}: ${describeFailure(error, delivery.timeoutMs)}`);
  }
}

/** An absolute http(s) URL, or a TypeError saying what is wrong with it. */
export function parseDeliveryUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(value)} (expected e.g. http://localhost:3000/inbound-webhooks/demo)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`expected an http or https URL, got ${url.protocol}`);
  return url;
}

/** fetch hides the socket error in `cause`; that is the useful part (ECONNREFUSED, ENOTFOUND...). */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ""}`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
