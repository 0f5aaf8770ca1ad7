import type { InboundHeaders } from "../types";

/**
 * Decides whether a request may start its webhook's agent.
 *
 * `phase: "headers"` verifiers (bearer) run before any body byte is read, so an unauthenticated
 * client cannot make the server read 1 MiB. `phase: "body"` verifiers (signatures) run after the
 * limited read, over the exact raw bytes.
 */
export interface Verifier {
  /** Short scheme name for logs (`"bearer"`, ...). Never a secret. */
  readonly scheme: string;
  readonly phase: "headers" | "body";
  verify(headers: InboundHeaders, rawBody: Uint8Array | undefined): boolean | Promise<boolean>;
  /**
   * For body-phase verifiers: whether the request carries this scheme's credentials at all (its
   * signature header). `false` lets the request be refused before its body is read, exactly like an
   * unknown webhook id. Absent: the body is always read and `verify` decides.
   */
  hasCredentials?(headers: InboundHeaders): boolean;
  /**
   * Where this scheme's sender names a delivery, so that its retries (and a captured request
   * replayed within the signature's tolerance) start no second run: e.g. Stripe's `payload.id`.
   * Used when the request carries this scheme's credentials and the webhook has no `deliveryId`
   * of its own; `undefined` falls back to the `Idempotency-Key` / `webhook-id` / `svix-id` /
   * `X-GitHub-Delivery` headers.
   */
  deliveryId?(request: { headers: InboundHeaders; payload: unknown }): string | undefined;
}

/** What a {@link CustomVerifier} is told about the request. */
export interface CustomVerifierRequest {
  /** The webhook being called. */
  webhookId: string;
  headers: InboundHeaders;
}

/**
 * A check of your own, given directly in a webhook's `auth`: it runs after the limited body read
 * with the exact raw bytes received (before any `Content-Encoding` is decoded). Return `true` to
 * let the request in; `false`, a rejection or a throw answer the same `401` as a bad token.
 * Compare secrets with `crypto.timingSafeEqual`, never `===`.
 *
 * @example
 * ```ts
 * auth: (request, rawBody) => verifyPartnerSignature(request.headers, rawBody),
 * ```
 */
export type CustomVerifier = (request: CustomVerifierRequest, rawBody: Uint8Array) => boolean | Promise<boolean>;
