import { HookrunError } from "../errors";
import { getHeader } from "../http/headers";
import { isSecretHeader } from "../http/secret-headers";
import type { InboundHeaders, PayloadSchema, TriggerRequest } from "../types";

/** The request as a webhook's `filter` sees it: no header a run record would refuse to store. */
export function triggerRequest(webhookId: string, deliveryId: string | undefined, headers: InboundHeaders): TriggerRequest {
  return {
    webhookId,
    deliveryId,
    header: (name) => {
      const lower = name.toLowerCase();
      return isSecretHeader(lower) ? undefined : getHeader(headers, lower);
    },
  };
}

/**
 * Validates the payload against the webhook's schema: its output on success, else `422
 * invalid_payload` listing each issue's path and message (never the offending values).
 */
export async function validatePayload(schema: PayloadSchema, payload: unknown): Promise<unknown> {
  const result = await schema["~standard"].validate(payload);
  if (!result.issues) return result.value;
  const issues = result.issues.map((issue) => ({
    path: (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment)),
    message: issue.message,
  }));
  throw new HookrunError("invalid_payload", `The payload does not match this webhook's schema (${issues.length} issue${issues.length === 1 ? "" : "s"}).`, {
    extensions: { issues },
  });
}
