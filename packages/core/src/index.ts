export { createInboundWebhooks, DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DEPTH } from "./create-inbound-webhooks";
export type { InboundWebhooks, InboundWebhooksOptions } from "./create-inbound-webhooks";
export type { HookrunHealth } from "./health/check-health";
export { bearer } from "./auth/bearer";
export type { BearerToken, ExpiringToken } from "./auth/bearer";
export { hmac } from "./auth/hmac";
export type { HmacOptions, HmacSecret, SignedContentInput } from "./auth/hmac";
export { github } from "./auth/github";
export type { GithubOptions } from "./auth/github";
export { stripe } from "./auth/stripe";
export type { StripeOptions } from "./auth/stripe";
export { standardWebhooks } from "./auth/standard-webhooks";
export type { StandardWebhooksOptions } from "./auth/standard-webhooks";
export { slack } from "./auth/slack";
export type { SlackOptions } from "./auth/slack";
export type { CustomVerifier, CustomVerifierRequest, Verifier } from "./auth/verifier";
export { getHeader } from "./http/headers";
export { isSecretHeader } from "./http/secret-headers";
export { defineWebhook } from "./webhooks/define-webhook";
export { renderAgentContext, renderAgentData } from "./agent/render-agent-context";
export type { AgentContextOptions } from "./agent/render-agent-context";
export { DEFAULT_EFFECT_TTL_MS, memoryEffectStore, toJson } from "./effects/effect-store";
export type { EffectState, EffectStore, MemoryEffectStoreOptions } from "./effects/effect-store";
export { memoryRunner } from "./runner/memory-runner";
export type { MemoryRunnerOptions } from "./runner/memory-runner";
export type { DeadLetter, EnqueueOptions, EnqueueReceipt, QueueDepth, Runner, RunnerHealth, RunnerHost, RunnerJob, RunnerRole } from "./runner/runner";
// Building blocks for runners (used by @hookrun/bullmq), so every runner behaves the same.
export { AttemptFailure, backoffDelay, executeRun, raceTimeout, reportFailure, RunTimeoutError } from "./runner/execute-run";
export type { BackoffPolicy, RunAttempt } from "./runner/execute-run";
export { DEFAULT_IDEMPOTENCY_TTL_MS, runnerOptionsSchema } from "./runner/runner-options";
export type { RunnerOptions } from "./runner/runner-options";
export type {
  RedactFunction,
  RefusedRequest,
  ReplayManyResult,
  RunAttemptRecord,
  RunFilter,
  RunLogLine,
  RunPage,
  RunQuery,
  RunRecord,
  RunRedaction,
  RunRequestMetadata,
  RunRetention,
  RunsApi,
  RunsOptions,
  RunStatus,
  RunStore,
  RunStoreQuery,
  StoredAttemptEnd,
  StoredRunStart,
} from "./runs/types";
export { RUN_STATUSES } from "./runs/types";
export { memoryRunStore } from "./runs/memory-run-store";
export type { MemoryRunStore, MemoryRunStoreOptions } from "./runs/memory-run-store";
export type { AttemptRecorder, LogLevel, RunRecorder } from "./runs/recorder";
export {
  DEFAULT_MAX_LOG_LINES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_REFUSED,
  DEFAULT_MAX_RESULT_BYTES,
  DEFAULT_MAX_RUN_AGE_MS,
  DEFAULT_MAX_RUN_BYTES,
  DEFAULT_MAX_RUNS,
} from "./runs/options";
export { parseOptions } from "./config";
export { describeError } from "./logger";
export { HookrunConfigError, HookrunError, statusOf } from "./errors";
export type { HookrunErrorCode, ProblemDetails } from "./errors";
export type {
  Agent,
  AgentContext,
  AgentEvent,
  Envelope,
  HookrunEvent,
  InboundBody,
  InboundHeaders,
  InboundRequest,
  InboundResponse,
  Logger,
  PayloadSchema,
  SchemaResult,
  TriggerRequest,
  WebhookDefinition,
  WebhookFields,
  WebhookResolver,
} from "./types";
export type { TelemetryOption } from "./telemetry/telemetry";
