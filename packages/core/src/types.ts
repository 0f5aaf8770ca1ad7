import type { CustomVerifier, Verifier } from "./auth/verifier";
import type { EffectStore } from "./effects/effect-store";

/** Header bag: a Fetch `Headers`, or Node's `req.headers` (lower-case keys) as it is. */
export type InboundHeaders = Headers | Readonly<Record<string, string | string[] | undefined>>;

/** Anything a request body can arrive as. Node's `IncomingMessage` is an `AsyncIterable<Uint8Array>`. */
export type InboundBody = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Uint8Array | string | null | undefined;

/** One inbound HTTP request, framework-neutral. */
export interface InboundRequest {
  method: string;
  /** The `<webhook-id>` path segment of `/inbound-webhooks/<webhook-id>`. */
  webhookId: string;
  headers: InboundHeaders;
  /**
   * The body. Bytes (a `Uint8Array`, a stream's chunks) are the run's from then on: the run record
   * may keep them as they are, so do not write into a buffer you passed here.
   */
  body: InboundBody;
  /**
   * Keeps the platform alive until a promise settles: Next's `after`, a Cloudflare/Vercel
   * `waitUntil`. A runner that runs agents in this process (`memoryRunner`) hands it each run it
   * accepts, settled when the run ends (succeeded, or failed its last attempt); a durable runner
   * (`bullmqRunner`) has nothing to keep alive and ignores it. Unset: nothing is handed over.
   */
  waitUntil?: (work: Promise<unknown>) => void;
}

/** What to send back. `body` is a complete JSON document (`application/json` or `application/problem+json`). */
export interface InboundResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The one value an agent receives: exactly these three keys. */
export interface Envelope<Payload = unknown> {
  page: "inbound_webhook";
  inboundWebhookId: string;
  payload: Payload;
}

/** pino-compatible logger: `(fields, message)`. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What an agent knows about its run besides the envelope. */
export interface AgentContext {
  /** Unique id of this run; the one the `202` answer carried. */
  runId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** When the request was accepted. */
  receivedAt: Date;
  /** The sender's delivery id (`Idempotency-Key`, `webhook-id` or `X-GitHub-Delivery`), when sent. */
  deliveryId: string | undefined;
  /** Aborted when the run must stop (shutdown, `timeoutMs`). Pass it to `fetch` and LLM calls. */
  signal: AbortSignal;
  /** The hookrun logger with `runId` and `webhookId` bound; its lines are kept in the run's record too. */
  logger: Logger;
  /** For a replay (`hooks.runs.replay`): the run this one re-runs. */
  replayOf?: string | undefined;
  /** Sends an agent event (`agent.step`, `agent.tool`) to `onEvent`. Names, numbers and durations only: never payload values. */
  emit(event: AgentEvent): void;
  /**
   * The runner's effect store, shared by every attempt of this run (in Redis with `bullmqRunner`,
   * so a retry on another machine sees it): lets an agent tell which side effects an earlier
   * attempt already performed. `@hookrun/ai` keys each write tool call in it.
   */
  effects: EffectStore;
}

/**
 * The background work a webhook starts. What it returns (or resolves to) is kept as the run
 * record's `result` (as JSON, size-capped); a throw is logged and fails the attempt.
 */
export type Agent<Payload = unknown> = (envelope: Envelope<Payload>, ctx: AgentContext) => unknown;

/** What a webhook's `filter` may know about the request besides the payload. */
export interface TriggerRequest {
  webhookId: string;
  deliveryId: string | undefined;
  /**
   * A request header (lower-case name), e.g. `x-github-event`. The headers a run record never
   * stores (credentials, signatures, keys, sessions: `authorization`, `cookie`, `*signature*`,
   * `*token*`, `x-api-key`, ...) always read as `undefined`.
   */
  header(name: string): string | undefined;
}

/**
 * A payload schema: zod 4 (or any Standard Schema v1 library: valibot, arktype, ...). Its output
 * type becomes the agent's `envelope.payload` type.
 */
export interface PayloadSchema<Output = unknown> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

/** What a Standard Schema's `validate` answers. */
export type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/**
 * One webhook: its id (the URL segment), who may call it, and the agent it starts — `agent`, or
 * `agents` for fan-out: several named agents, each started as its own run with its own `runId`.
 */
export type WebhookDefinition<Payload = unknown> = WebhookFields<Payload> &
  ({ agent: Agent<Payload>; agents?: undefined } | { agents: Readonly<Record<string, Agent<Payload>>>; agent?: undefined });

/** Everything of a {@link WebhookDefinition} but its agents. */
export interface WebhookFields<Payload = unknown> {
  id: string;
  /**
   * One verifier or several (any one passing is enough, e.g. during a migration). A function
   * `(request, rawBody) => boolean | Promise<boolean>` is accepted as a body-phase verifier.
   */
  auth: Verifier | CustomVerifier | ReadonlyArray<Verifier | CustomVerifier>;
  /** Overrides the global `maxBodyBytes` for this webhook. */
  maxBodyBytes?: number;
  /**
   * Names the delivery for idempotency when the sender puts its id somewhere hookrun does not
   * know. Without it: the id of the verifier's sender (`stripe()`: `payload.id`; `slack()`:
   * `payload.event_id`; `standardWebhooks()`: `webhook-id` / `svix-id`; `github()`:
   * `X-GitHub-Delivery`), else the `Idempotency-Key`, `webhook-id`, `svix-id` or
   * `X-GitHub-Delivery` header. Return `undefined` for "no id". Replaces those look-ups for this webhook.
   */
  deliveryId?: (request: { headers: InboundHeaders; payload: unknown }) => string | undefined;
  /**
   * Decides, before anything is enqueued, whether this delivery starts a run. `false` answers
   * `200 {"status":"ignored"}` and starts nothing (GitHub `ping`s, pushes to other branches).
   * Runs before `schema`, so events you ignore need not match it.
   */
  filter?: (payload: unknown, request: TriggerRequest) => boolean | Promise<boolean>;
  /**
   * Validates (and types) the payload. A body that fails answers `422 invalid_payload` with the
   * issues' paths and messages; the agent then gets the schema's output. Without a schema the
   * payload is passed through untouched.
   */
  schema?: PayloadSchema<Payload>;
}

/** Looks a webhook up by id, e.g. in a database. `undefined` means no such webhook (answered `401`). */
export type WebhookResolver = (
  id: string,
) => WebhookDefinition<any> | undefined | null | Promise<WebhookDefinition<any> | undefined | null>;

/** Lifecycle and request events, for metrics and tracing. Never carries secrets or payloads. */
export type HookrunEvent =
  | { type: "request.accepted"; webhookId: string; runId: string; deliveryId: string | undefined; replayed: boolean; agent?: string }
  | { type: "request.ignored"; webhookId: string; deliveryId: string | undefined }
  | { type: "request.rejected"; webhookId: string; status: number; code: string; reason: string }
  | { type: "run.started"; webhookId: string; runId: string; attempt: number }
  | { type: "run.succeeded"; webhookId: string; runId: string; attempt: number; durationMs: number }
  | { type: "run.failed"; webhookId: string; runId: string; attempt: number; durationMs: number; error: string }
  | { type: "run.retrying"; webhookId: string; runId: string; attempt: number; delayMs: number; error: string }
  | AgentEvent;

/**
 * What an agent reports through `ctx.emit` (`@hookrun/ai` sends these): one `agent.step` per model
 * step (`step` counts from 1), one `agent.tool` per tool call. Token counts are `undefined` when the
 * provider reported none.
 */
export type AgentEvent =
  | {
      type: "agent.step";
      webhookId: string;
      runId: string;
      attempt: number;
      step: number;
      finishReason: string;
      durationMs: number;
      inputTokens: number | undefined;
      outputTokens: number | undefined;
    }
  | { type: "agent.tool"; webhookId: string; runId: string; attempt: number; step: number; toolName: string; durationMs: number; refused: boolean };
