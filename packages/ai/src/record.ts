/**
 * Why an {@link AgentRecord}'s run stopped:
 * - `completed`: the model finished (answered without calling more tools);
 * - `max_steps`: the last allowed step (`maxSteps`) still called tools;
 * - `budget`: after a step the total reached `budget.maxTotalTokens`, or a step reported no usage;
 * - `aborted`: `ctx.signal` aborted (shutdown, the run's `timeoutMs`) or the agent's `timeout` passed;
 * - `needs_approval`: a tool that needs approval was called; the pending calls are in the last step.
 */
export type AgentStopReason = "completed" | "max_steps" | "budget" | "aborted" | "needs_approval";

/** Token counts of one step as the provider reported them (`undefined` where it reported none). */
export interface AgentStepUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  totalTokens: number | undefined;
}

/**
 * One tool call. `input` is what the tool received (after `bind`). A call has `output` when it ran
 * (or an earlier attempt's recorded result was returned), `error` when it failed or was not run
 * (then the model got that error), `refused: true` when the tool was not allowed; a call with
 * neither output nor error is pending (it needs approval, or the run stopped before it ran).
 */
export interface AgentToolCallRecord {
  toolName: string;
  input: unknown;
  output?: unknown;
  error?: string;
  refused?: true;
  durationMs: number;
}

/** One model call and the tool calls it asked for, in the order the model asked. */
export interface AgentStepRecord {
  /** The AI SDK's finish reason: `stop`, `tool-calls`, `length`, `content-filter`, `error`, `other`... */
  finishReason: string;
  toolCalls: AgentToolCallRecord[];
  usage: AgentStepUsage;
}

/**
 * What an `aiAgent` run did: its return value, so it is the run's `result` in the run records
 * (and on the dashboard's run page).
 */
export interface AgentRecord<Output = never> {
  stopReason: AgentStopReason;
  steps: AgentStepRecord[];
  /** The sum over the steps; a count a step did not report adds nothing. */
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  /** The last step's text. */
  text: string;
  /** The structured output, when `output` was given and the model produced it. */
  output?: Output;
}
