import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defineWebhook, github, renderAgentContext } from "@hookrun/core";
import { generateText } from "ai";
import { z } from "zod";

const INSTRUCTIONS = `You maintain a product knowledge base. A push just landed on the main branch.
For each changed file listed in the data below, say which knowledge-base article is likely affected
and draft the update it needs, in Markdown, one section per article. Say so when no article is affected.`;

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
 * The knowledge-base webhook: GitHub push events to `branch`, signed with `secret`, start an agent
 * that asks `model` to draft KB updates for the changed files and writes the draft to
 * `<draftsDir>/<runId>.md`.
 */
export function kbWebhook({ id = "github-push", secret, model, draftsDir, branch = "refs/heads/main" }) {
  return defineWebhook({
    id,
    auth: github({ secret }),
    // Pings and pushes to other branches answer 200 ignored and start nothing.
    filter: (payload, request) => request.header("x-github-event") === "push" && payload?.ref === branch,
    schema: pushSchema,
    agent: async (envelope, ctx) => {
      const { repository, commits } = envelope.payload;
      const changed = [...new Set(commits.flatMap((commit) => [...commit.added, ...commit.modified]))].sort();
      const prompt = renderAgentContext(envelope, {
        instructions: `${INSTRUCTIONS}\n\nChanged files: ${changed.length > 0 ? changed.join(", ") : "(none)"}`,
      });
      const { text } = await generateText({ model, prompt, abortSignal: ctx.signal });
      await mkdir(draftsDir, { recursive: true });
      const draft = join(draftsDir, `${ctx.runId}.md`);
      const header = `<!-- ${repository.full_name} ${commits.map((commit) => commit.id.slice(0, 7)).join(" ")} -->`;
      await writeFile(draft, `${header}\n# KB updates for ${changed.length} changed file(s)\n\n${text}\n`);
      process.stdout.write(`${JSON.stringify({ runId: ctx.runId, draft, files: changed })}\n`);
    },
  });
}
