import {
  HookrunConfigError,
  memoryEffectStore,
  parseOptions,
  renderAgentData,
  type AgentContext,
  type EffectStore,
  type Envelope,
} from "@hookrun/core";
import {
  generateText,
  type InferToolInput,
  type LanguageModel,
  type OutputInterface,
  type StepResult,
  type Tool,
  type ToolExecutionOptions,
  type ToolSet,
} from "ai";
import { z } from "zod";
import { canonicalJson, effectKey } from "./effect-key";
import type { AgentRecord, AgentStepRecord, AgentStopReason, AgentToolCallRecord } from "./record";

/** The structured output type of an `Output` specification (`Output.object({ schema })`). */
export type InferOutput<O> = O extends OutputInterface<infer T, any, any> ? T : never;

/** Fields `bind` fixes per tool: bound fields win over what the model put in. */
export type BoundInputs<TOOLS extends ToolSet> = { [K in keyof TOOLS]?: Partial<InferToolInput<TOOLS[K]>> };

/** Options of {@link aiAgent}. */
export interface AiAgentOptions<TOOLS extends ToolSet, Payload = unknown, O extends OutputInterface | undefined = undefined> {
  /** The AI SDK language model (`openai("gpt-4o-mini")`, a gateway id string, or `scriptedModel(...)` in tests). */
  model: LanguageModel;
  /**
   * What the agent should do: sent in the AI SDK's trusted `instructions` (system) role only. The
   * envelope goes in the user message, fenced as untrusted data; it never carries instructions.
   */
  instructions: string;
  /** A plain AI SDK tool set (`{ name: tool({ description, inputSchema, execute }) }`). Every tool needs an `execute`. */
  tools: TOOLS;
  /**
   * Which tools only read and which change the world. A tool with no entry counts as `"write"`.
   * Write calls are refused unless listed in `allow`, and are effect-keyed (see `safeToRetry`).
   */
  effects?: { [K in keyof TOOLS]?: "read" | "write" };
  /** The write tools that may run; a call to any other write tool is refused (not run, `refused: true`). Default: none. */
  allow?: ReadonlyArray<keyof TOOLS & string>;
  /**
   * Write tools whose call may run again when an earlier attempt started it and never reported back
   * (their downstream API deduplicates on `options.idempotencyKey`). Others are answered "outcome
   * unknown, verify first". Default: none.
   */
  safeToRetry?: ReadonlyArray<keyof TOOLS & string>;
  /**
   * Fixes tool inputs from the (validated) envelope, e.g. the account id, so a payload that talks the
   * model into another value still cannot point a tool at it. Called once per attempt; bound
   * fields replace the model's at the top level of the input.
   */
  bind?: (envelope: Envelope<Payload>) => BoundInputs<TOOLS>;
  /** Model calls (steps) per attempt at most; stopping there with tool calls pending is `max_steps`. Default `10`. */
  maxSteps?: number;
  /**
   * Token budget per attempt: after a step whose running total reaches `maxTotalTokens` (or that
   * reports no usage: fail closed), no further model call is made and the run stops as `budget`.
   */
  budget?: { maxTotalTokens: number };
  /** Milliseconds this agent may take per attempt (an inner bound: the run's `timeoutMs` stays the outer one); then it stops as `aborted`. */
  timeout?: number;
  /** Structured output (`Output.object({ schema })`); the parsed value is the record's `output`. */
  output?: O;
  /** Most characters of envelope JSON in the user message; longer data is cut with a marker. Default `20_000`. */
  maxDataChars?: number;
}

/** An `Agent` that resolves to its {@link AgentRecord}. */
export type AiAgent<Payload = unknown, Output = never> = (envelope: Envelope<Payload>, ctx: AgentContext) => Promise<AgentRecord<Output>>;

const optionsSchema = z.object({
  model: z.custom<LanguageModel>((value) => typeof value === "string" || (typeof value === "object" && value !== null), "expected an AI SDK language model"),
  instructions: z.string().trim().min(1, "expected the agent's instructions"),
  tools: z.record(
    z.string(),
    z.custom<Tool>((value) => typeof value === "object" && value !== null && typeof (value as Tool).execute === "function", "expected an AI SDK tool with an execute function"),
  ),
  effects: z.record(z.string(), z.enum(["read", "write"])).optional(),
  allow: z.array(z.string()).optional(),
  safeToRetry: z.array(z.string()).optional(),
  bind: z.custom<(envelope: Envelope) => Record<string, object>>((value) => typeof value === "function", "expected a function").optional(),
  maxSteps: z.number().int().min(1).max(1_000).default(10),
  budget: z.object({ maxTotalTokens: z.number().int().min(1) }).optional(),
  timeout: z.number().int().min(1).max(2 ** 31 - 1).optional(),
  output: z.custom<OutputInterface>((value) => typeof value === "object" && value !== null, "expected an AI SDK Output specification").optional(),
  maxDataChars: z.number().int().min(1).optional(),
});

type Config = z.output<typeof optionsSchema>;

const NOT_RUN_ABORTED = "not run: the run was aborted";
const OUTCOME_UNKNOWN =
  "outcome unknown, verify first: an earlier attempt of this run started this exact call and never reported back, so it may already have taken effect. Check (e.g. with a read tool) before calling it again.";

/**
 * An agent from instructions and tools on the AI SDK, safe to run unattended: write tools run only
 * when allowed, `bind` pins their inputs to the envelope, every write call is effect-keyed so a
 * retry never repeats a write that completed, and the run stops at `maxSteps`, `budget` or
 * `timeout`. It resolves to an {@link AgentRecord} (the run's `result`) and emits `agent.step` and
 * `agent.tool` events (names, numbers and durations only). A model or provider error rejects the
 * attempt, so the runner retries it.
 *
 * @example
 * ```ts
 * import { openai } from "@ai-sdk/openai";
 * import { tool } from "ai";
 * import { z } from "zod";
 * import { aiAgent } from "@hookrun/ai";
 *
 * agent: aiAgent({
 *   model: openai("gpt-4o-mini"),
 *   instructions: "If severity is high, look the account up and draft an outreach email.",
 *   tools: {
 *     lookupAccount: tool({ inputSchema: z.object({ accountId: z.string() }), execute: ({ accountId }) => crm.get(accountId) }),
 *     draftOutreach: tool({
 *       inputSchema: z.object({ accountId: z.string(), body: z.string() }),
 *       execute: (draft, { idempotencyKey }) => crm.createDraft(draft, { idempotencyKey }),
 *     }),
 *   },
 *   effects: { lookupAccount: "read", draftOutreach: "write" },
 *   allow: ["draftOutreach"],
 *   bind: (envelope) => ({ lookupAccount: { accountId: envelope.payload.account }, draftOutreach: { accountId: envelope.payload.account } }),
 *   budget: { maxTotalTokens: 20_000 },
 * }),
 * ```
 */
export function aiAgent<TOOLS extends ToolSet, Payload = unknown, O extends OutputInterface | undefined = undefined>(
  options: AiAgentOptions<TOOLS, Payload, O>,
): AiAgent<Payload, InferOutput<O>> {
  const config = parseOptions(optionsSchema, options, "aiAgent");
  const names = new Set(Object.keys(config.tools));
  const known = (field: string, list: Iterable<string>) => {
    for (const name of list) if (!names.has(name)) throw new HookrunConfigError(`aiAgent.${field}`, `"${name}" is not one of the tools (${[...names].join(", ")})`);
  };
  known("effects", Object.keys(config.effects ?? {}));
  known("allow", config.allow ?? []);
  known("safeToRetry", config.safeToRetry ?? []);
  const kinds = new Map([...names].map((name) => [name, config.effects?.[name] ?? "write"] as const));
  for (const name of config.safeToRetry ?? []) {
    if (kinds.get(name) === "read") throw new HookrunConfigError("aiAgent.safeToRetry", `"${name}" is a read tool; only write tools are effect-keyed`);
  }
  const policy: Policy = { config, kinds, allowed: new Set(config.allow), safeToRetry: new Set(config.safeToRetry) };
  let fallbackEffects: EffectStore | undefined;

  return (envelope, ctx) => {
    const effects = ctx.effects ?? (fallbackEffects ??= memoryEffectStore());
    return new AgentRun(policy, envelope as Envelope, ctx, effects).run() as Promise<AgentRecord<InferOutput<O>>>;
  };
}

interface Policy {
  config: Config;
  kinds: ReadonlyMap<string, "read" | "write">;
  allowed: ReadonlySet<string>;
  safeToRetry: ReadonlySet<string>;
}

interface OpenStep {
  number: number;
  startedAt: number;
  /** Set once the model answered (finish reason and usage known). */
  record?: AgentStepRecord;
  /** The calls that went through a tool wrapper, by toolCallId. */
  calls: Map<string, AgentToolCallRecord>;
}

/** One attempt of an aiAgent: the AI SDK loop with hookrun's tool policy around each tool. */
class AgentRun {
  private readonly steps: AgentStepRecord[] = [];
  private readonly usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  private readonly occurrences = new Map<string, number>();
  private readonly inner = new AbortController();
  private readonly signal: AbortSignal;
  private open: OpenStep | undefined;
  private overBudget = false;
  private pendingApproval = false;
  private lastText = "";
  /** An effect store failure: the attempt must fail (and be retried), not be told to the model. */
  private fatal: { error: unknown } | undefined;

  constructor(
    private readonly policy: Policy,
    private readonly envelope: Envelope,
    private readonly ctx: AgentContext,
    private readonly effects: EffectStore,
  ) {
    this.signal = AbortSignal.any([ctx.signal, this.inner.signal]);
  }

  async run(): Promise<AgentRecord<unknown>> {
    const { config } = this.policy;
    const bound = this.bound();
    const timer = config.timeout === undefined ? undefined : setTimeout(() => this.inner.abort(new AgentTimeoutError(config.timeout!)), config.timeout);
    try {
      const result = await generateText({
        model: config.model,
        instructions: config.instructions,
        prompt: renderAgentData(this.envelope, config.maxDataChars === undefined ? {} : { maxDataChars: config.maxDataChars }),
        tools: this.tools(),
        // One at a time, in the model's order: occurrences (and so effect keys) are the same in every attempt.
        toolCallConcurrency: 1,
        stopWhen: [({ steps }) => steps.length >= config.maxSteps, () => this.overBudget],
        abortSignal: this.signal,
        ...(config.output ? { output: config.output } : {}),
        experimental_refineToolInput: bound,
        onStepStart: (event) => {
          this.open = { number: event.stepNumber + 1, startedAt: performance.now(), calls: new Map() };
        },
        onLanguageModelCallEnd: (event) => this.modelAnswered(event.finishReason, event.usage),
        onStepEnd: (step) => this.stepEnded(step),
      });
      let output: unknown;
      if (config.output) {
        try {
          output = result.output;
        } catch {
          // No output when the run stopped on tool calls (max_steps, budget, needs_approval).
        }
      }
      return this.record(this.stopReason(), result.text, output);
    } catch (error) {
      if (this.fatal) throw this.fatal.error;
      if (!this.signal.aborted) throw error;
      this.closeOpenStep();
      return this.record("aborted", this.lastText, undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private bound(): Record<string, (input: unknown) => unknown> {
    const bind = this.policy.config.bind;
    if (!bind) return {};
    const fixed = bind(this.envelope);
    const refine: Record<string, (input: unknown) => unknown> = {};
    for (const [name, fields] of Object.entries(fixed ?? {})) {
      if (!this.policy.kinds.has(name)) throw new Error(`aiAgent: bind() returned fields for "${name}", which is not one of the tools`);
      if (fields === undefined) continue;
      refine[name] = (input) => ({ ...(input as object), ...fields });
    }
    return refine;
  }

  private tools(): ToolSet {
    const wrapped: ToolSet = {};
    for (const [name, original] of Object.entries(this.policy.config.tools)) {
      const refused = this.policy.kinds.get(name) === "write" && !this.policy.allowed.has(name);
      wrapped[name] = {
        ...original,
        // A refused tool is refused, not put up for approval.
        ...(refused ? { needsApproval: undefined } : {}),
        execute: (input: unknown, options: ToolExecutionOptions<unknown>) => this.call(name, original, refused, input, options),
      } as Tool;
    }
    return wrapped;
  }

  private async call(name: string, tool: Tool, refused: boolean, input: unknown, options: ToolExecutionOptions<unknown>): Promise<unknown> {
    const startedAt = performance.now();
    const call: AgentToolCallRecord = { toolName: name, input, durationMs: 0 };
    const step = this.open;
    step?.calls.set(options.toolCallId, call);
    step?.record?.toolCalls.push(call);
    try {
      if (this.signal.aborted) throw new Error(NOT_RUN_ABORTED);
      if (refused) {
        call.refused = true;
        throw new Error(`tool "${name}" is not allowed in this run: it is a write tool that this agent may not use. Do not call it again.`);
      }
      const running = this.policy.kinds.get(name) === "read" ? Promise.resolve(tool.execute!(input, options)) : this.write(name, tool, input, options);
      // A tool that ignores its abort signal must not hold the attempt: it is left behind (a write
      // that finishes later is still recorded as completed).
      const output = await untilAborted(running, this.signal);
      call.output = output;
      return output;
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      call.durationMs = Math.round(performance.now() - startedAt);
      this.emitTool(step?.number ?? this.steps.length, name, call.durationMs, refused);
    }
  }

  private async write(name: string, tool: Tool, input: unknown, options: ToolExecutionOptions<unknown>): Promise<unknown> {
    const canonical = canonicalJson(input);
    const identity = `${name}\n${canonical}`;
    const occurrence = (this.occurrences.get(identity) ?? 0) + 1;
    this.occurrences.set(identity, occurrence);
    const key = effectKey(this.ctx.runId, name, canonical, occurrence);
    const before = await this.store(() => this.effects.begin(key));
    if (before.state === "completed") return before.result;
    if (before.state === "started" && !this.policy.safeToRetry.has(name)) throw new Error(OUTCOME_UNKNOWN);
    const output = await tool.execute!(input, { ...options, idempotencyKey: key } as ToolExecutionOptions<unknown>);
    await this.store(() => this.effects.complete(key, output));
    return output;
  }

  /** Runs an effect store operation; a failure aborts the attempt (so the runner retries it). */
  private async store<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      this.fatal ??= { error };
      this.inner.abort(error);
      throw error;
    }
  }

  private modelAnswered(finishReason: string, usage: { inputTokens: number | undefined; outputTokens: number | undefined; totalTokens: number | undefined }): void {
    const { inputTokens, outputTokens, totalTokens } = usage;
    const record: AgentStepRecord = { finishReason, toolCalls: [], usage: { inputTokens, outputTokens, totalTokens } };
    if (this.open) this.open.record = record;
    this.steps.push(record);
    this.usage.inputTokens += inputTokens ?? 0;
    this.usage.outputTokens += outputTokens ?? 0;
    this.usage.totalTokens += (inputTokens ?? 0) + (outputTokens ?? 0);
    const budget = this.policy.config.budget;
    if (budget && (inputTokens === undefined || outputTokens === undefined || this.usage.totalTokens >= budget.maxTotalTokens)) this.overBudget = true;
  }

  /** Puts the step's calls in the model's order, adding those no wrapper saw (invalid input, pending approval). */
  private stepEnded(step: StepResult<ToolSet>): void {
    const open = this.open;
    if (!open?.record) return;
    const errors = new Map<string, unknown>();
    const pending = new Set<string>();
    for (const part of step.content) {
      if (part.type === "tool-error") errors.set(part.toolCallId, part.error);
      if (part.type === "tool-approval-request" && !part.isAutomatic) pending.add(part.toolCall.toolCallId);
    }
    const calls: AgentToolCallRecord[] = [];
    for (const part of step.content) {
      if (part.type !== "tool-call" || part.providerExecuted) continue;
      const seen = open.calls.get(part.toolCallId);
      if (seen) {
        calls.push(seen);
        continue;
      }
      const call: AgentToolCallRecord = { toolName: part.toolName, input: part.input, durationMs: 0 };
      if (errors.has(part.toolCallId)) {
        const error = errors.get(part.toolCallId);
        call.error = error instanceof Error ? error.message : String(error);
      }
      calls.push(call);
      this.emitTool(open.number, part.toolName, 0, false);
    }
    open.record.toolCalls = calls;
    this.pendingApproval = pending.size > 0;
    this.lastText = step.text;
    this.closeOpenStep();
  }

  private closeOpenStep(): void {
    const open = this.open;
    this.open = undefined;
    if (!open?.record) return;
    const { webhookId, runId, attempt } = this.ids();
    const { finishReason, usage } = open.record;
    this.ctx.emit?.({
      type: "agent.step",
      webhookId,
      runId,
      attempt,
      step: open.number,
      finishReason,
      durationMs: Math.round(performance.now() - open.startedAt),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
    });
  }

  private emitTool(step: number, toolName: string, durationMs: number, refused: boolean): void {
    this.ctx.emit?.({ type: "agent.tool", ...this.ids(), step, toolName, durationMs, refused });
  }

  private ids() {
    return { webhookId: this.envelope.inboundWebhookId, runId: this.ctx.runId, attempt: this.ctx.attempt };
  }

  private stopReason(): AgentStopReason {
    const last = this.steps[this.steps.length - 1];
    if (this.pendingApproval) return "needs_approval";
    if (this.overBudget) return "budget";
    if (last && last.toolCalls.length > 0 && this.steps.length >= this.policy.config.maxSteps) return "max_steps";
    return "completed";
  }

  private record(stopReason: AgentStopReason, text: string, output: unknown): AgentRecord<unknown> {
    return { stopReason, steps: this.steps, usage: { ...this.usage }, text, ...(output === undefined ? {} : { output }) };
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Why an aiAgent stopped when its own `timeout` passed. */
export class AgentTimeoutError extends Error {
  override readonly name = "AgentTimeoutError";
  constructor(timeoutMs: number) {
    super(`the agent did not finish within its timeout of ${timeoutMs} ms`);
  }
}
