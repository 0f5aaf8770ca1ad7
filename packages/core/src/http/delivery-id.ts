import type { InboundHeaders } from "../types";
import { getHeader } from "./headers";

// The headers senders use to name a delivery: generic, Standard Webhooks / Svix, GitHub.
const DELIVERY_HEADERS = ["idempotency-key", "webhook-id", "x-github-delivery"] as const;
const MAX_LENGTH = 256;

/** The sender's id for this delivery, when it sent one of a sane length. */
export function deliveryIdOf(headers: InboundHeaders): string | undefined {
  for (const name of DELIVERY_HEADERS) {
    const value = saneDeliveryId(getHeader(headers, name));
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A delivery id trimmed, or `undefined` when it is not a non-empty string of at most 256 characters. */
export function saneDeliveryId(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= MAX_LENGTH ? trimmed : undefined;
}
