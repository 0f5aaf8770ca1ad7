import { z } from "zod";
import { parseOptions } from "../config";
import { getHeader } from "../http/headers";
import { hmac, secretsSchema, type HmacSecret } from "./hmac";
import type { Verifier } from "./verifier";

/** Options of {@link github}. */
export interface GithubOptions {
  /** The webhook secret set in GitHub, or several during rotation. Never logged. */
  secret: HmacSecret | readonly HmacSecret[];
}

const optionsSchema = z.object({ secret: secretsSchema });

/**
 * GitHub webhook signatures: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`,
 * checked over the raw body bytes as sent.
 *
 * GitHub signs no timestamp, so a captured delivery can be replayed: dedupe on
 * `X-GitHub-Delivery` (hookrun passes it as `ctx.deliveryId`, and the runner ignores repeats).
 *
 * @param options.secret - the secret, or several (any one may have signed). Required.
 * @throws HookrunConfigError when the secret is missing or empty.
 * @example
 * ```ts
 * import { github } from "@hookrun/core";
 * const auth = github({ secret: [process.env.GITHUB_WEBHOOK_SECRET!, process.env.GITHUB_WEBHOOK_SECRET_OLD!] });
 * ```
 */
export function github(options: GithubOptions): Verifier {
  const { secret } = parseOptions(optionsSchema, options, "github(options)");
  return {
    ...hmac({ scheme: "github", secret: secret, header: "x-hub-signature-256", prefix: "sha256=" }),
    // GitHub keeps the GUID when a delivery is redelivered.
    deliveryId: ({ headers }) => getHeader(headers, "x-github-delivery"),
  };
}
