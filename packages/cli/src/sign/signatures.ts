import { createHmac } from "node:crypto";

/** The body exactly as sent: signatures are computed over these bytes, never over a re-serialization. */
export type RawBody = string | Uint8Array;

/**
 * GitHub's `X-Hub-Signature-256` value: `sha256=<hex HMAC-SHA256(secret, body)>`.
 *
 * @example
 * ```ts
 * githubSignature("It's a Secret to Everybody", "Hello, World!");
 * // "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
 * ```
 */
export function githubSignature(secret: string, body: RawBody): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Stripe's `Stripe-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 *
 * @param timestamp - Unix time in whole seconds, the `t` Stripe's verifiers check for freshness.
 * @example
 * ```ts
 * stripeSignature("whsec_test", '{"id":"evt_1"}', Math.floor(Date.now() / 1000));
 * ```
 */
export function stripeSignature(secret: string, body: RawBody, timestamp: number): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Standard Webhooks' `webhook-signature` value: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`.
 *
 * The key is the secret base64-decoded after its optional `whsec_` prefix, as the Standard Webhooks
 * reference libraries do.
 *
 * @throws TypeError when the secret is not base64 after the prefix (the message never repeats it).
 * @example
 * ```ts
 * standardWebhooksSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1614265330, '{"test": 2432232314}');
 * ```
 */
export function standardWebhooksSignature(secret: string, id: string, timestamp: number, body: RawBody): string {
  const mac = createHmac("sha256", standardWebhooksKey(secret)).update(`${id}.${timestamp}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** The HMAC key of a Standard Webhooks secret (`whsec_<base64>` or bare base64). */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    throw new TypeError("a Standard Webhooks secret must be base64, optionally after a `whsec_` prefix");
  }
  return Buffer.from(encoded, "base64");
}
