import type { Verifier } from "../auth/verifier";
import type { InboundHeaders, WebhookDefinition } from "../types";
import { getHeader } from "./headers";

// The headers senders use to name a delivery: generic, Standard Webhooks, Svix, GitHub.
const DELIVERY_HEADERS = ["idempotency-key", "webhook-id", "svix-id", "x-github-delivery"] as const;
const MAX_LENGTH = 256;

/** The sender's id for this delivery, when it sent one of a sane length. */
export function deliveryIdOf(headers: InboundHeaders): string | undefined {
  for (const name of DELIVERY_HEADERS) {
    const value = saneDeliveryId(getHeader(headers, name));
    if (value !== undefined) return value;
  }
  return undefined;
}

/** How a compiled webhook names a delivery, from its headers and parsed payload. */
export type DeliveryIdOf = (headers: InboundHeaders, payload: unknown) => string | undefined;

/**
 * A webhook's delivery id, decided once when the webhook is compiled: the webhook's own
 * `deliveryId` function when it has one; otherwise the id of the sender whose credentials the
 * request carries (a verifier that declares where its sender puts it: Stripe's `payload.id`,
 * Slack's `event_id`, the Svix / Standard Webhooks and GitHub headers); otherwise the generic headers.
 */
export function compileDeliveryId(custom: WebhookDefinition["deliveryId"], verifiers: readonly Verifier[]): DeliveryIdOf {
  if (custom) return (headers, payload) => saneDeliveryId(custom({ headers, payload }));
  const senders = verifiers.filter((verifier) => verifier.deliveryId !== undefined);
  // perf: webhooks without a sender-specific id (bearer) keep the plain header look-up.
  if (senders.length === 0) return deliveryIdOf;
  return (headers, payload) => {
    for (const verifier of senders) {
      if (verifier.hasCredentials?.(headers) === false) continue;
      const id = saneDeliveryId(verifier.deliveryId!({ headers, payload }));
      if (id !== undefined) return id;
    }
    return deliveryIdOf(headers);
  };
}

/** A delivery id trimmed, or `undefined` when it is not a non-empty string of at most 256 characters. */
export function saneDeliveryId(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= MAX_LENGTH ? trimmed : undefined;
}

/** `payload[key]` when the payload is an object and that member is a string. */
export function payloadString(payload: unknown, key: string): string | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const value = Object.hasOwn(payload, key) ? (payload as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" ? value : undefined;
}
