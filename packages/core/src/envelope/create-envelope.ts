import type { Envelope } from "../types";

/**
 * The agent's input: exactly `page`, `inboundWebhookId` and `payload`. The payload is the parsed
 * body itself, never copied key by key, so a `"__proto__"` key stays an own data property.
 */
export function createEnvelope(inboundWebhookId: string, payload: unknown): Envelope {
  return { page: "inbound_webhook", inboundWebhookId, payload };
}
