import { z } from "zod";
import { parseOptions } from "../config";
import { freshTimestamp, hmac, secretsSchema, type HmacSecret } from "./hmac";
import { payloadString } from "../http/delivery-id";
import type { Verifier } from "./verifier";

/** Options of {@link stripe}. */
export interface StripeOptions {
  /** The endpoint's signing secret (`whsec_...`, used as is), or several during rotation. Never logged. */
  secret: HmacSecret | readonly HmacSecret[];
  /** How far the signed `t` may be from now, in seconds. Default `300`. */
  toleranceSeconds?: number;
}

const optionsSchema = z.object({
  secret: secretsSchema,
  toleranceSeconds: z.number().int().positive().default(300),
});

/**
 * Stripe signatures: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, each `v1` an
 * HMAC-SHA256 of `"<t>.<raw body>"`; any one matching is enough. `t` must be a plain integer within
 * the tolerance, which bounds how long a captured request can be replayed.
 *
 * The delivery id is the event's `id` (`evt_...`) from the payload: Stripe sends the same event
 * again, with a new signature, when it retries, so a retry starts no second run.
 *
 * @param options.secret - required; Stripe's `whsec_...` string is the key itself (not decoded).
 * @param options.toleranceSeconds - default `300`.
 * @throws HookrunConfigError naming the bad option.
 * @example
 * ```ts
 * import { stripe } from "@hookrun/core";
 * const auth = stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET!, toleranceSeconds: 300 });
 * ```
 */
export function stripe(options: StripeOptions): Verifier {
  const { secret, toleranceSeconds } = parseOptions(optionsSchema, options, "stripe(options)");
  const verifier = hmac({
    scheme: "stripe",
    secret: secret,
    header: "stripe-signature",
    prefix: "v1=",
    signatures: (value) => value.split(","),
    signedContent({ signatureHeader, rawBody }) {
      const stamps = signatureHeader.split(",").filter((item) => item.startsWith("t="));
      // Two `t` entries are ambiguous: refuse rather than pick one.
      if (stamps.length !== 1) return undefined;
      const timestamp = freshTimestamp(stamps[0]!.slice(2), toleranceSeconds);
      return timestamp === undefined ? undefined : [`${timestamp}.`, rawBody];
    },
  });
  return { ...verifier, deliveryId: ({ payload }) => payloadString(payload, "id") };
}
