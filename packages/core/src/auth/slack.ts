import { z } from "zod";
import { parseOptions } from "../config";
import { getHeader } from "../http/headers";
import { freshTimestamp, hmac, secretsSchema, type HmacSecret } from "./hmac";
import { payloadString } from "../http/delivery-id";
import type { Verifier } from "./verifier";

/** Options of {@link slack}. */
export interface SlackOptions {
  /** The app's Signing Secret, or several during rotation. Never logged. */
  signingSecret: HmacSecret | readonly HmacSecret[];
  /** How far `X-Slack-Request-Timestamp` may be from now, in seconds. Default `300` (Slack's 5 minutes). */
  toleranceSeconds?: number;
}

const optionsSchema = z.object({
  signingSecret: secretsSchema,
  toleranceSeconds: z.number().int().positive().default(300),
});

/**
 * Slack request signatures: `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + ts + ":" + body)>`
 * with `ts` from `X-Slack-Request-Timestamp`, which must be a whole number of seconds within the
 * tolerance (replays older than that fail).
 *
 * The delivery id is the Events API's `event_id` from the payload: Slack retries an event it got no
 * quick `200` for (with `X-Slack-Retry-Num`), and those retries start no second run.
 *
 * @param options.signingSecret - required.
 * @param options.toleranceSeconds - default `300`.
 * @throws HookrunConfigError naming the bad option.
 * @example
 * ```ts
 * import { slack } from "@hookrun/core";
 * const auth = slack({ signingSecret: process.env.SLACK_SIGNING_SECRET! });
 * ```
 */
export function slack(options: SlackOptions): Verifier {
  const { signingSecret, toleranceSeconds } = parseOptions(optionsSchema, options, "slack(options)");
  const verifier = hmac({
    scheme: "slack",
    secret: signingSecret,
    header: "x-slack-signature",
    prefix: "v0=",
    signedContent({ headers, rawBody }) {
      const timestamp = freshTimestamp(getHeader(headers, "x-slack-request-timestamp"), toleranceSeconds);
      return timestamp === undefined ? undefined : [`v0:${timestamp}:`, rawBody];
    },
  });
  return { ...verifier, deliveryId: ({ payload }) => payloadString(payload, "event_id") };
}
