/**
 * The example's CRM: accounts and outreach drafts, in memory. `createDraft` deduplicates on the
 * idempotency key the way a real API (Stripe, HubSpot, your own) would: the same key answers the
 * draft it created, never a second one.
 */
export function createCrm(accounts = DEFAULT_ACCOUNTS) {
  const byId = new Map(accounts.map((account) => [account.id, account]));
  const drafts = [];
  const byKey = new Map();
  return {
    account: (id) => byId.get(id) ?? null,
    createDraft({ accountId, subject, body }, { idempotencyKey } = {}) {
      if (idempotencyKey && byKey.has(idempotencyKey)) return byKey.get(idempotencyKey);
      const account = byId.get(accountId);
      if (!account) throw new Error(`no account ${accountId}`);
      const draft = { draftId: `draft_${drafts.length + 1}`, accountId, to: account.owner.email, subject, body, createdAt: new Date().toISOString() };
      drafts.push(draft);
      if (idempotencyKey) byKey.set(idempotencyKey, draft);
      return draft;
    },
    drafts: () => [...drafts],
  };
}

export const DEFAULT_ACCOUNTS = [
  { id: "cus_123", name: "Acme Corp", plan: "enterprise", owner: { name: "Dana Reyes", email: "dana@acme.example" } },
  { id: "cus_456", name: "Globex", plan: "team", owner: { name: "Sam Okafor", email: "sam@globex.example" } },
];
