import { createOpenAI } from "@ai-sdk/openai";
import { scriptedModel } from "@hookrun/ai/test";

/**
 * A real model when OPENAI_API_KEY is set (KB_MODEL picks which, default gpt-4o-mini); otherwise a
 * scripted stand-in, so the example runs offline.
 */
export function chooseModel(env = process.env) {
  if (env.OPENAI_API_KEY) return createOpenAI({ apiKey: env.OPENAI_API_KEY })(env.KB_MODEL || "gpt-4o-mini");
  return offlineModel();
}

/**
 * The offline stand-in: lists the articles, drafts one update per added or modified file (matching
 * the file to an article by a word of its name), then sums up. It reads the push from the fenced
 * data in its prompt, as a real model would.
 */
export function offlineModel() {
  return scriptedModel([
    { toolCalls: [{ toolName: "listArticles", input: {} }] },
    (call) => {
      const push = fencedEnvelope(call).payload;
      const files = [...new Set(push.commits.flatMap((commit) => [...commit.added, ...commit.modified]))].sort();
      const byArticle = new Map();
      for (const file of files) {
        const article = articleFor(file);
        byArticle.set(article, [...(byArticle.get(article) ?? []), file]);
      }
      return {
        toolCalls: [...byArticle].map(([article, changed]) => ({
          toolName: "draftUpdate",
          input: { repository: push.repository.full_name, article, markdown: `Review this article against: ${changed.join(", ")}.` },
        })),
      };
    },
    (call) => ({ text: `Drafted ${call.prompt.filter((message) => message.role === "tool").at(-1).content.length} knowledge-base update(s) (offline model).` }),
  ]);
}

const KEYWORDS = [
  ["bill", "Billing and invoices"],
  ["invoice", "Billing and invoices"],
  ["export", "Exporting data"],
  ["readme", "Getting started"],
];

function articleFor(file) {
  const name = file.toLowerCase();
  return KEYWORDS.find(([word]) => name.includes(word))?.[1] ?? `new: ${file}`;
}

/** The envelope inside the untrusted-data fence of the model's user message. */
function fencedEnvelope(call) {
  const user = call.prompt.find((message) => message.role === "user");
  const text = user.content.map((part) => part.text ?? "").join("");
  const [, json] = /<untrusted-webhook-data-[0-9a-f]+>\n([\s\S]*)\n<\/untrusted-webhook-data-[0-9a-f]+>/.exec(text);
  return JSON.parse(json);
}
