import type { PayloadSchema, WebhookDefinition } from "../types";

/**
 * Types a webhook definition: with a `schema`, the agent's `envelope.payload` is the schema's
 * output type; without one, it is `unknown`. Returns the definition unchanged.
 *
 * @example
 * ```ts
 * const push = defineWebhook({
 *   id: "github-push",
 *   auth: github({ secret }),
 *   schema: z.object({ ref: z.string(), commits: z.array(z.object({ modified: z.array(z.string()) })) }),
 *   filter: (_payload, request) => request.header("x-github-event") === "push",
 *   agent: async ({ payload }) => payload.commits.flatMap((commit) => commit.modified), // typed
 * });
 * ```
 */
export function defineWebhook<Payload>(definition: WebhookDefinition<Payload> & { schema: PayloadSchema<Payload> }): WebhookDefinition<Payload>;
export function defineWebhook(definition: WebhookDefinition<unknown> & { schema?: undefined }): WebhookDefinition<unknown>;
export function defineWebhook<Payload>(definition: WebhookDefinition<Payload>): WebhookDefinition<Payload> {
  return definition;
}
