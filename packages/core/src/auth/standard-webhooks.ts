import { Buffer } from "node:buffer";
import { z } from "zod";
import { parseOptions } from "../config";
import { HookrunConfigError } from "../errors";
import { getHeader } from "../http/headers";
import type { InboundHeaders } from "../types";
import { freshTimestamp, hmac } from "./hmac";
import type { Verifier } from "./verifier";

/** Options of {@link standardWebhooks}. */
export interface StandardWebhooksOptions {
  /**
   * The signing secret: `whsec_<base64>` (or the bare base64), base64-decoded into the key as the
   * specification says; raw key bytes as a `Uint8Array`. Several during rotation. Never logged.
   */
  secret: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** How far `webhook-timestamp` may be from now, in seconds. Default `300`. */
  toleranceSeconds?: number;
}

const optionsSchema = z.object({
  secret: z.unknown(),
  toleranceSeconds: z.number().int().positive().default(300),
});

const SECRET_PREFIX = "whsec_";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard Webhooks (Svix and the services built on it): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64> [v1,<base64> ...]` (space-separated; any one matching is enough),
 * each an HMAC-SHA256 of `"<id>.<timestamp>.<raw body>"`. The `svix-id`, `svix-timestamp` and
 * `svix-signature` names are accepted too. The timestamp must be within the tolerance.
 *
 * The delivery id is the signed `webhook-id` (or `svix-id`): a sender's retry reuses it, and so does
 * a captured request replayed within the tolerance, so neither starts a second run.
 *
 * @param options.secret - required.
 * @param options.toleranceSeconds - default `300`.
 * @throws HookrunConfigError naming the bad option (never quoting the secret).
 * @example
 * ```ts
 * import { standardWebhooks } from "@hookrun/core";
 * const auth = standardWebhooks({ secret: process.env.SVIX_SECRET! }); // "whsec_..."
 * ```
 */
export function standardWebhooks(options: StandardWebhooksOptions): Verifier {
  const { secret, toleranceSeconds } = parseOptions(optionsSchema, options, "standardWebhooks(options)");
  const secrets = (Array.isArray(secret) ? secret : [secret]) as ReadonlyArray<unknown>;
  const keys = secrets.map((entry, index) => toKey(entry, `standardWebhooks(options).secret${Array.isArray(secret) ? `.${index}` : ""}`));
  const verifiers = (["webhook", "svix"] as const).map((family) =>
    hmac({
      scheme: "standard-webhooks",
      secret: keys,
      header: `${family}-signature`,
      encoding: "base64",
      prefix: "v1,",
      signatures: (value) => value.split(" "),
      signedContent: ({ headers, rawBody }) => signedContent(headers, family, rawBody, toleranceSeconds),
    }),
  );
  const [standard, svix] = verifiers as [Verifier, Verifier];
  return {
    scheme: "standard-webhooks",
    phase: "body",
    hasCredentials: (headers) => standard.hasCredentials!(headers) || svix.hasCredentials!(headers),
    verify: (headers, rawBody) => (getHeader(headers, "webhook-signature") !== undefined ? standard : svix).verify(headers, rawBody),
    deliveryId: ({ headers }) => getHeader(headers, getHeader(headers, "webhook-signature") !== undefined ? "webhook-id" : "svix-id"),
  };
}

function signedContent(headers: InboundHeaders, family: "webhook" | "svix", rawBody: Uint8Array, toleranceSeconds: number) {
  const id = getHeader(headers, `${family}-id`);
  const timestamp = freshTimestamp(getHeader(headers, `${family}-timestamp`), toleranceSeconds);
  if (id === undefined || id.length === 0 || timestamp === undefined) return undefined;
  return [`${id}.${timestamp}.`, rawBody];
}

function toKey(secret: unknown, field: string): Uint8Array {
  if (secret instanceof Uint8Array && secret.byteLength > 0) return secret;
  if (typeof secret === "string") {
    const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    if (encoded.length > 0 && BASE64.test(encoded)) return Buffer.from(encoded, "base64");
  }
  // Never repeat the value: it is a secret.
  throw new HookrunConfigError(field, "expected `whsec_<base64>`, bare base64, or non-empty key bytes");
}
