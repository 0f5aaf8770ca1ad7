import type { InboundHeaders } from "../types";
import { getHeader } from "./headers";

// The headers senders use to name a delivery: generic, Standard Webhooks / Svix, GitHub.
const DELIVERY_HEADERS = ["idempotency-key", "webhook-id", "x-github-delivery"] as const;
const MAX_LENGTH = 256;

/** The sender's id for this delivery, when it sent one of a sane length. */
export function deliveryIdOf(headers: InboundHeaders): string | undefined {
  for (const name of DELIVERY_HEADERS) {
    const value = getHeader(headers, name)?.trim();
    if (value && value.length <= MAX_LENGTH) return value;
  }
  return undefined;
}
