export { aiAgent, AgentTimeoutError } from "./ai-agent";
export type { AiAgent, AiAgentOptions, BoundInputs, InferOutput } from "./ai-agent";
export { canonicalJson, effectKey } from "./effect-key";
export type { AgentRecord, AgentStepRecord, AgentStepUsage, AgentStopReason, AgentToolCallRecord } from "./record";

declare module "ai" {
  /** hookrun's addition: what `@hookrun/ai` hands a write tool's `execute`. */
  // The AI SDK's constraint (`Context | unknown | never`) is `unknown`.
  interface ToolExecutionOptions<CONTEXT extends unknown> {
    /**
     * The call's effect key (write tools run by `aiAgent`): the same in every attempt of the run for
     * the same tool, input and occurrence. Hand it to downstream APIs as their idempotency key.
     * `undefined` for read tools and outside `aiAgent`.
     */
    idempotencyKey?: string;
  }
}
