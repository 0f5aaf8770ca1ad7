import { randomBytes } from "node:crypto";
import { githubSignature, standardWebhooksSignature, stripeSignature, type RawBody } from "./signatures";

/** Which signature a test delivery carries, with its secret. */
export type Signing =
  | { scheme: "github"; secret: string }
  | { scheme: "stripe"; secret: string }
  | { scheme: "standard-webhooks"; secret: string };

export interface SigningContext {
  /** Unix time in whole seconds. */
  timestamp: number;
  /** The delivery id, reused as the Standard Webhooks `webhook-id` so retries of one delivery share it. */
  deliveryId?: string | undefined;
}

/** The headers that sign `body` under one scheme, as its senders set them. */
export function signingHeaders(signing: Signing, body: RawBody, context: SigningContext): Record<string, string> {
  switch (signing.scheme) {
    case "github":
      return { "x-hub-signature-256": githubSignature(signing.secret, body) };
    case "stripe":
      return { "stripe-signature": stripeSignature(signing.secret, body, context.timestamp) };
    case "standard-webhooks": {
      const id = context.deliveryId ?? `msg_${randomBytes(16).toString("base64url")}`;
      return {
        "webhook-id": id,
        "webhook-timestamp": String(context.timestamp),
        "webhook-signature": standardWebhooksSignature(signing.secret, id, context.timestamp, body),
      };
    }
  }
}
