import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defineWebhook, github } from "@hookrun/core";
import { aiAgent } from "@hookrun/ai";
import { tool } from "ai";
import { z } from "zod";

// The operator's instructions: the trusted system role. The push itself (file names, commit
// messages: all sender-controlled) only ever reaches the model as fenced, untrusted data.
const INSTRUCTIONS = `You maintain a product knowledge base. A push just landed on the main branch.
First list the existing articles. Then, for each file the push added or modified, decide which
article is likely affected and save a draft of the update it needs with draftUpdate (Markdown, one
call per article; use "new: <topic>" for an article that does not exist yet). Do not draft anything
for removed files. Finish with a one-line summary of what you drafted.`;

/** The articles of the example's knowledge base (a real one would read them from your docs system). */
export const ARTICLES = ["Billing and invoices", "Exporting data", "Getting started"];

// The part of GitHub's push payload the agent uses; other keys are dropped by the schema.
const pushSchema = z.object({
  ref: z.string(),
  repository: z.object({ full_name: z.string() }),
  commits: z.array(
    z.object({
      id: z.string(),
      message: z.string(),
      added: z.array(z.string()),
      modified: z.array(z.string()),
      removed: z.array(z.string()),
    }),
  ),
});

/**
 * The knowledge-base webhook: GitHub push events to `branch`, signed with `secret`, start an
 * `aiAgent` that lists the articles (a read tool) and saves one draft per affected article (a write
 * tool, effect-keyed: a retried run never drafts twice) as `<draftsDir>/<article>.md`. The run's
 * result is the agent's record; one JSON line per run goes to stdout.
 */
export function kbWebhook({ id = "github-push", secret, model, draftsDir, articles = ARTICLES, branch = "refs/heads/main" }) {
  const drafter = aiAgent({
    model,
    instructions: INSTRUCTIONS,
    tools: {
      listArticles: tool({
        description: "List the titles of the knowledge-base articles.",
        inputSchema: z.object({}),
        execute: async () => articles,
      }),
      draftUpdate: tool({
        description: "Save a draft update for one knowledge-base article, for a human to review.",
        inputSchema: z.object({ repository: z.string(), article: z.string(), markdown: z.string() }),
        execute: async ({ repository, article, markdown }, { idempotencyKey }) => {
          await mkdir(draftsDir, { recursive: true });
          const file = join(draftsDir, `${slug(article)}.md`);
          await writeFile(file, `<!-- ${repository} · ${idempotencyKey} -->\n# ${article}\n\n${markdown}\n`);
          return { draft: file };
        },
      }),
    },
    effects: { listArticles: "read", draftUpdate: "write" },
    allow: ["draftUpdate"],
    // The repository a draft is filed under comes from the signed push, never from the model.
    bind: (envelope) => ({ draftUpdate: { repository: envelope.payload.repository.full_name } }),
    maxSteps: 6,
    budget: { maxTotalTokens: 60_000 },
  });

  return defineWebhook({
    id,
    auth: github({ secret }),
    // Pings and pushes to other branches answer 200 ignored and start nothing.
    filter: (payload, request) => request.header("x-github-event") === "push" && payload?.ref === branch,
    schema: pushSchema,
    agent: async (envelope, ctx) => {
      const record = await drafter(envelope, ctx);
      const drafts = record.steps.flatMap((step) => step.toolCalls).filter((call) => call.toolName === "draftUpdate" && call.output);
      process.stdout.write(`${JSON.stringify({ runId: ctx.runId, stopReason: record.stopReason, drafts: drafts.map((call) => call.output.draft), usage: record.usage })}\n`);
      return record;
    },
  });
}

function slug(title) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80) || "article";
}
