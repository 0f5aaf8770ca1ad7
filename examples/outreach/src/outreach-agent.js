import { bearer, defineWebhook } from "@hookrun/core";
import { aiAgent } from "@hookrun/ai";
import { tool } from "ai";
import { z } from "zod";

// What the operator wants done: the trusted system role. The alert (all of it sender-controlled,
// `message` included) reaches the model only as fenced, untrusted data.
const INSTRUCTIONS = `An alert fired for one of our customer accounts. If its severity is high or
critical: look the account up, then draft a short, friendly outreach email to the account owner
with draftOutreach (say what we noticed and that we are on it; no internal details). Otherwise draft
nothing. Never send email yourself: a human reviews every draft. End with one sentence saying what you did.`;

const alertSchema = z.object({
  event: z.literal("customer.alert.created"),
  account_external_id: z.string().min(1),
  severity: z.enum(["low", "medium", "high", "critical"]),
  message: z.string().max(2_000).optional(),
});

/**
 * The outreach webhook: your app POSTs `customer.alert.created` with a bearer token; an `aiAgent`
 * looks the account up (read) and drafts the outreach in the CRM (write, effect-keyed: a retried
 * run never drafts twice, and the CRM gets the key as its idempotency key). `sendEmail` exists but
 * is not allowed: a call to it is refused and recorded. Both tools are bound to the alert's account.
 * The agent's record (the draft included) is the run's result.
 */
export function outreachWebhook({ id = "customer-alerts", token, model, crm, sendEmail = (/** @type {unknown} */ _email) => ({ sent: true }) }) {
  const accountOf = (envelope) => ({ accountId: envelope.payload.account_external_id });
  return defineWebhook({
    id,
    auth: bearer(token),
    schema: alertSchema,
    agent: aiAgent({
      model,
      instructions: INSTRUCTIONS,
      tools: {
        lookupAccount: tool({
          description: "Look a customer account up: name, plan and owner.",
          inputSchema: z.object({ accountId: z.string() }),
          execute: async ({ accountId }) => crm.account(accountId) ?? { error: `no account ${accountId}` },
        }),
        draftOutreach: tool({
          description: "Save a draft email to the account owner, for a human to review and send.",
          inputSchema: z.object({ accountId: z.string(), subject: z.string().max(200), body: z.string().max(5_000) }),
          execute: async (draft, { idempotencyKey }) => crm.createDraft(draft, { idempotencyKey }),
        }),
        sendEmail: tool({
          description: "Send an email immediately.",
          inputSchema: z.object({ to: z.string(), subject: z.string(), body: z.string() }),
          execute: async (email) => sendEmail(email),
        }),
      },
      effects: { lookupAccount: "read", draftOutreach: "write", sendEmail: "write" },
      allow: ["draftOutreach"],
      bind: (envelope) => ({ lookupAccount: accountOf(envelope), draftOutreach: accountOf(envelope) }),
      maxSteps: 5,
      budget: { maxTotalTokens: 30_000 },
      timeout: 60_000,
    }),
  });
}
