import { createOpenAI } from "@ai-sdk/openai";
import { MockLanguageModelV4 } from "ai/test";

/**
 * A real model when OPENAI_API_KEY is set (KB_MODEL picks which, default gpt-4o-mini); otherwise
 * the AI SDK's mock model, so the example runs offline: it answers with a fixed outline that
 * names the files it was asked about.
 */
export function chooseModel(env = process.env) {
  if (env.OPENAI_API_KEY) return createOpenAI({ apiKey: env.OPENAI_API_KEY })(env.KB_MODEL || "gpt-4o-mini");
  return offlineModel();
}

export function offlineModel() {
  return new MockLanguageModelV4({
    modelId: "offline-kb-drafter",
    doGenerate: async ({ prompt }) => {
      const text = prompt.flatMap((message) => (Array.isArray(message.content) ? message.content : [])).map((part) => part.text ?? "").join("\n");
      const files = /Changed files: (.*)/.exec(text)?.[1] ?? "(none)";
      return {
        content: [{ type: "text", text: `## Draft (offline model)\n\nReview the articles that cover: ${files}.` }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: text.length, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: 0, text: undefined, reasoning: undefined },
        },
        warnings: [],
      };
    },
  });
}
