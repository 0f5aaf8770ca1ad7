import { randomUUID } from "node:crypto";
import { memoryEffectStore, type AgentContext, type Envelope, type Logger } from "@hookrun/core";
import { MockLanguageModelV4 } from "ai/test";

/** The options the AI SDK hands a model for one call (what a scripted step function receives). */
export type ModelCall = MockLanguageModelV4["doGenerateCalls"][number];

/** One scripted model answer. */
export interface ScriptedStep {
  /** Tool calls the model makes in this step, in order. */
  toolCalls?: ReadonlyArray<{ toolName: string; input: unknown }>;
  /** Text the model answers (for a structured `output`, the JSON text). */
  text?: string;
  /** Tokens reported for the step. Default `{ inputTokens: 10, outputTokens: 5 }`; `null` reports no usage. */
  usage?: { inputTokens?: number; outputTokens?: number } | null;
}

/**
 * A language model that answers from a script, one entry per step of a run: tool calls and/or
 * text. The step is read from the prompt (how many answers of the model it already holds), so one
 * scripted model serves any number of runs and attempts, each from the first entry. An entry may be
 * a function of the call (`{ prompt, abortSignal, ... }`), e.g. to answer from the prompt, to wait
 * for the abort signal, or to throw like a failing provider. A step past the end of the script
 * throws. It is the AI SDK's `MockLanguageModelV4`, so `doGenerateCalls` lists what the model was sent.
 *
 * @example
 * ```ts
 * const model = scriptedModel([
 *   { toolCalls: [{ toolName: "lookupAccount", input: { accountId: "cus_123" } }] },
 *   { text: "Drafted the outreach." },
 * ]);
 * ```
 */
export function scriptedModel(steps: ReadonlyArray<ScriptedStep | ((call: ModelCall) => ScriptedStep | Promise<ScriptedStep>)>): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    provider: "hookrun-scripted",
    modelId: "scripted",
    doGenerate: async (call) => {
      const index = call.prompt.filter((message) => message.role === "assistant").length;
      const entry = steps[index];
      if (entry === undefined) throw new Error(`scriptedModel: step ${index + 1} of the run has no scripted answer (the script has ${steps.length})`);
      const step = typeof entry === "function" ? await entry(call) : entry;
      const toolCalls = step.toolCalls ?? [];
      const usage: { inputTokens?: number; outputTokens?: number } = step.usage === null ? {} : { inputTokens: 10, outputTokens: 5, ...step.usage };
      return {
        content: [
          ...(step.text === undefined ? [] : [{ type: "text" as const, text: step.text }]),
          // Fresh ids every call, as real providers do: nothing may depend on them across attempts.
          ...toolCalls.map(({ toolName, input }) => ({
            type: "tool-call" as const,
            toolCallId: `call_${randomUUID().slice(0, 12)}`,
            toolName,
            input: JSON.stringify(input),
          })),
        ],
        finishReason: toolCalls.length > 0 ? { unified: "tool-calls" as const, raw: "tool_calls" } : { unified: "stop" as const, raw: "stop" },
        usage: {
          inputTokens: { total: usage.inputTokens, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
          outputTokens: { total: usage.outputTokens, text: undefined, reasoning: undefined },
        },
        warnings: [],
      };
    },
  });
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs an agent once on an envelope, outside any runner, and resolves to what it returns (for an
 * `aiAgent`, its record). `ctx` overrides parts of the context: pass the same `effects` and
 * `runId` with `attempt: 2` to play a retry, a `signal` to abort, `emit` to see the events.
 * Defaults: a fresh `runId`, attempt 1, no abort, a silent logger, an in-memory effect store.
 *
 * @example
 * ```ts
 * const record = await runAgent(agent, { page: "inbound_webhook", inboundWebhookId: "alerts", payload: { severity: "high" } });
 * expect(record.stopReason).toBe("completed");
 * ```
 */
export async function runAgent<Result>(
  agent: (envelope: Envelope<any>, ctx: AgentContext) => Result,
  envelope: Envelope,
  ctx: Partial<AgentContext> = {},
): Promise<Awaited<Result>> {
  const context: AgentContext = {
    runId: `run_${randomUUID()}`,
    attempt: 1,
    receivedAt: new Date(),
    deliveryId: undefined,
    signal: new AbortController().signal,
    logger: silent,
    emit() {},
    effects: memoryEffectStore(),
    ...ctx,
  };
  return await agent(envelope, context);
}
