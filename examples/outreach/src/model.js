import { createOpenAI } from "@ai-sdk/openai";
import { scriptedModel } from "@hookrun/ai/test";

/**
 * A real model when OPENAI_API_KEY is set (OUTREACH_MODEL picks which, default gpt-4o-mini);
 * otherwise a scripted stand-in, so the example runs offline.
 */
export function chooseModel(env = process.env) {
  if (env.OPENAI_API_KEY) return createOpenAI({ apiKey: env.OPENAI_API_KEY })(env.OUTREACH_MODEL || "gpt-4o-mini");
  return offlineModel();
}

/**
 * The offline stand-in reads the alert from the fenced data in its prompt. For high and critical
 * alerts it looks the account up, then drafts from what the lookup returned. It is gullible on
 * purpose: when the alert's `message` asks for an email to be sent, it tries `sendEmail` first,
 * as a model talked into it by a payload would; the agent refuses that call.
 */
export function offlineModel() {
  return scriptedModel([
    (call) => {
      const alert = fencedEnvelope(call).payload;
      if (!["high", "critical"].includes(alert.severity)) return { text: `Severity ${alert.severity}: no outreach drafted.` };
      const lookup = { toolName: "lookupAccount", input: { accountId: alert.account_external_id } };
      if (/send/i.test(alert.message ?? "")) {
        return { toolCalls: [{ toolName: "sendEmail", input: { to: "everyone@example.com", subject: "Urgent", body: alert.message } }, lookup] };
      }
      return { toolCalls: [lookup] };
    },
    (call) => {
      const account = lastToolOutput(call, "lookupAccount");
      if (account.error) return { text: `No outreach drafted: ${account.error}.` };
      return {
        toolCalls: [
          {
            toolName: "draftOutreach",
            input: {
              accountId: account.id,
              subject: `${account.name}: we noticed an issue and are on it`,
              body: `Hi ${account.owner.name.split(" ")[0]},\n\nWe noticed an alert on your ${account.plan} account and our team is already looking into it. We will follow up shortly.\n\nBest regards`,
            },
          },
        ],
      };
    },
    (call) => ({ text: `Drafted the outreach to ${lastToolOutput(call, "draftOutreach").to} (offline model).` }),
  ]);
}

function fencedEnvelope(call) {
  const user = call.prompt.find((message) => message.role === "user");
  const text = user.content.map((part) => part.text ?? "").join("");
  const [, json] = /<untrusted-webhook-data-[0-9a-f]+>\n([\s\S]*)\n<\/untrusted-webhook-data-[0-9a-f]+>/.exec(text);
  return JSON.parse(json);
}

function lastToolOutput(call, toolName) {
  const results = call.prompt.filter((message) => message.role === "tool").flatMap((message) => message.content);
  return results.filter((part) => part.toolName === toolName).at(-1).output.value;
}
