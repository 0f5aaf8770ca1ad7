import { z } from "zod";
import { noEvents } from "./events/no-events";
import { parseOptions } from "./config";
import { defaultLogger, describeError } from "./logger";
import { handleInboundWebhook, runInboundWebhook, type Pipeline } from "./pipeline/handle-inbound-webhook";
import { RESPOND, type Responder } from "./pipeline/respond-to";
import { memoryRunner } from "./runner/memory-runner";
import { checkHealth, type HookrunHealth } from "./health/check-health";
import type { Runner, RunnerRole } from "./runner/runner";
import { createTelemetry, type TelemetryOption } from "./telemetry/telemetry";
import { HookrunConfigError } from "./errors";
import { Deadlines } from "./timers/deadlines";
import type { HookrunEvent, InboundRequest, InboundResponse, Logger, WebhookDefinition, WebhookResolver } from "./types";
import { createRegistry, webhookSchema } from "./webhooks/registry";
import { memoryRunStore } from "./runs/memory-run-store";
import { retentionOf, runsOptionsSchema } from "./runs/options";
import { createRunsRecorder, noRuns } from "./runs/recorder";
import { createRunsApi } from "./runs/runs-api";
import type { RunsApi, RunsOptions } from "./runs/types";

/** 1 MiB: exactly this many body bytes are accepted, one more is not. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
/** 30 s to send the whole body, then `408 request_timeout`. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;
/** Deepest JSON nesting accepted by default. */
export const DEFAULT_MAX_DEPTH = 128;

const isFunction = (value: unknown) => typeof value === "function";
const fn = <T>(message: string) => z.custom<T>(isFunction, message);

const optionsSchema = z.object({
  webhooks: z.union([z.array(webhookSchema), fn<WebhookResolver>("expected an array of webhooks or a function (id) => webhook")]),
  maxBodyBytes: z.number().int().positive().max(2 ** 31 - 1).default(DEFAULT_MAX_BODY_BYTES),
  bodyTimeoutMs: z.number().int().positive().max(2 ** 31 - 1).default(DEFAULT_BODY_TIMEOUT_MS),
  maxDepth: z.number().int().positive().max(100_000).default(DEFAULT_MAX_DEPTH),
  runner: z
    .custom<Runner>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        Array.isArray((value as Runner).roles) &&
        ["start", "enqueue", "deadLetters", "close"].every((key) => isFunction((value as never)[key])),
      "expected a runner such as memoryRunner()",
    )
    .optional(),
  logger: z
    .custom<Logger>(
      (value) => typeof value === "object" && value !== null && ["debug", "info", "warn", "error"].every((key) => isFunction((value as never)[key])),
      "expected a pino-compatible logger with debug, info, warn and error",
    )
    .optional(),
  onEvent: fn<(event: HookrunEvent) => void>("expected a function (event) => void").optional(),
  role: z.enum(["ingress", "worker", "both"]).default("both"),
  runs: z.union([z.literal(false), runsOptionsSchema]).prefault({}),
  telemetry: z.union([z.boolean(), z.literal("auto")], { error: 'expected true, false or "auto"' }).default("auto"),
});

/** Options of {@link createInboundWebhooks}. */
export interface InboundWebhooksOptions {
  /** The webhooks, or a function that looks one up by id (sync or async, e.g. from a database). */
  webhooks: readonly WebhookDefinition<any>[] | WebhookResolver;
  /** Largest accepted body in bytes, after any `Content-Encoding` is decoded too. Default `1_048_576` (1 MiB). */
  maxBodyBytes?: number;
  /** Longest wait for the whole body once the headers arrived, in ms; then `408 request_timeout`. Default `30_000`. */
  bodyTimeoutMs?: number;
  /** Deepest nesting of JSON objects and arrays accepted; deeper is `400 invalid_json`. Default `128`. */
  maxDepth?: number;
  /** Where accepted jobs run. Default `memoryRunner()`. */
  runner?: Runner;
  /** pino-compatible logger. Default: warnings and errors as JSON lines on stderr. */
  logger?: Logger;
  /** Called with every request and run event. Must not throw (a throw is logged and ignored). */
  onEvent?: (event: HookrunEvent) => void;
  /**
   * What this process does with the same configuration: `"ingress"` serves HTTP and enqueues only,
   * `"worker"` runs agents only (looked up by webhook id) and answers any request with `500`,
   * `"both"` does both. `ingress` and `worker` need a runner that crosses processes, such as
   * `bullmqRunner`. Default `"both"`.
   */
  role?: RunnerRole;
  /**
   * Run records (`hooks.runs`), on by default: where they live, how long, and what is redacted
   * before anything is stored. `false` records nothing. Default: the runner's store (Redis with
   * `bullmqRunner`) or an in-memory one, 1,000 runs / 32 MiB / 7 days, payloads stored as sent.
   *
   * @example
   * ```ts
   * runs: { redact: ["customer.email", "card.*"], maxRuns: 5_000, maxAgeMs: 86_400_000 }
   * ```
   */
  runs?: RunsOptions | false;
  /**
   * OpenTelemetry traces and metrics through `@opentelemetry/api` (an optional peer: install it
   * next to your SDK). `"auto"` records when the API is installed and an SDK registered a tracer or
   * meter provider before this call, and costs nothing otherwise; `true` records whenever the API
   * is installed (for an SDK registered later; without the API it throws `HookrunConfigError`);
   * `false` never records. Spans, metrics and attributes: README "Telemetry". Default `"auto"`.
   */
  telemetry?: TelemetryOption;
}

/** What {@link createInboundWebhooks} returns. */
export interface InboundWebhooks {
  /** Runs the pipeline for one request. Never rejects: every outcome is a response. */
  handleInboundWebhook(request: InboundRequest): Promise<InboundResponse>;
  /** Stop accepting (`503 shutting_down`), let accepted runs finish, then resolve; after `timeoutMs`, abort what is left. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * For readiness probes: `ready` is `false` while closing or when the runner's backend does not
   * answer (Redis down for `bullmqRunner`). Never hangs: a runner that has not answered within 1 s
   * counts as not ok. Serve it at e.g. `/healthz` with `200` when `ready`, else `503`.
   *
   * @example
   * ```ts
   * app.get("/healthz", async (_req, res) => {
   *   const health = await hooks.health();
   *   res.status(health.ready ? 200 : 503).json(health);
   * });
   * ```
   */
  health(): Promise<HookrunHealth>;
  /** The runner in use (e.g. `hooks.runner.deadLetters()`). */
  readonly runner: Runner;
  /** Run records: list, inspect and replay runs; recent refused requests. */
  readonly runs: RunsApi;
  /**
   * The ids of the configured webhooks, in definition order, when `webhooks` is a list; `undefined`
   * when it is a function (its ids are known only to it).
   */
  readonly webhookIds: readonly string[] | undefined;
}


/**
 * Creates the inbound-webhook endpoint logic: authenticate, limit, parse, answer `202`, and run the
 * webhook's agent in the background with `{ page: "inbound_webhook", inboundWebhookId, payload }`.
 * Options are validated here, once; a bad one throws `HookrunConfigError` naming the field.
 *
 * @example
 * ```ts
 * import { bearer, createInboundWebhooks } from "@hookrun/core";
 *
 * const hooks = createInboundWebhooks({
 *   webhooks: [
 *     {
 *       id: "alerts",
 *       auth: bearer(process.env.ALERTS_TOKEN!),
 *       agent: async (envelope, ctx) => {
 *         ctx.logger.info({ event: envelope.payload }, "alert received");
 *       },
 *     },
 *   ],
 * });
 * // Express: app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
 * ```
 */
export function createInboundWebhooks(options: InboundWebhooksOptions): InboundWebhooks {
  const config = parseOptions(optionsSchema, options, "options");
  const logger = config.logger ?? defaultLogger;
  const runner = config.runner ?? memoryRunner();
  const role = config.role;
  if (!runner.roles.includes(role)) {
    throw new HookrunConfigError("options.role", `runner "${runner.name}" cannot play role "${role}" (it can play: ${runner.roles.join(", ")}); use a runner that crosses processes, such as bullmqRunner()`);
  }
  const onEvent = config.onEvent;
  const telemetry = createTelemetry(config.telemetry, runner);
  let closing = false;

  // perf: without onEvent (and run metrics), the shared no-op, so hot paths can skip building their events.
  const emitToListener = !onEvent
    ? noEvents
    : (event: HookrunEvent): void => {
        try {
          onEvent(event);
        } catch (error) {
          logger.warn({ event: event.type, err: describeError(error) }, "onEvent threw; ignored");
        }
      };
  const emit = telemetry ? telemetry.countRuns(emitToListener) : emitToListener;
  const registry = createRegistry(config.webhooks as readonly WebhookDefinition<any>[] | WebhookResolver, config.maxBodyBytes);
  const runsConfig = config.runs;
  const runs =
    runsConfig === false
      ? noRuns
      : createRunsRecorder(
          runsConfig,
          runsConfig.store ?? runner.createRunStore?.(retentionOf(runsConfig)) ?? memoryRunStore(retentionOf(runsConfig)),
          logger,
        );
  const pipeline: Pipeline = {
    registry,
    runner: telemetry ? telemetry.producer(runner) : runner,
    runs,
    logger,
    emit,
    isClosing: () => closing,
    servesHttp: role !== "worker",
    bodyTimeoutMs: config.bodyTimeoutMs,
    bodyDeadlines: new Deadlines(config.bodyTimeoutMs),
    maxDepth: config.maxDepth,
  };
  runner.start(telemetry ? { resolveAgent: registry.resolveAgent, logger, emit, role, runs, telemetry } : { resolveAgent: registry.resolveAgent, logger, emit, role, runs });
  const handle = (request: InboundRequest) => handleInboundWebhook(pipeline, request);
  const observed = telemetry ? telemetry.observeRequests(handle) : handle;
  // What the Node and Fetch helpers call: the pipeline's callback form, unless telemetry observes every answer.
  const respond: Responder = telemetry ? (request, done) => void observed(request).then(done) : (request, done, answeredInTurn) => runInboundWebhook(pipeline, request, done, answeredInTurn);

  const hooks: InboundWebhooks = {
    handleInboundWebhook: observed,
    async close(closeOptions) {
      closing = true;
      telemetry?.close();
      await runner.close(closeOptions);
      await runs.store?.close?.();
    },
    health: () => checkHealth(runner, closing, logger),
    runner,
    // Replays are enqueued like the pipeline's jobs (with the producer span when tracing).
    runs: createRunsApi(runs, { enqueue: (job) => pipeline.runner.enqueue(job), envelopeOf: runner.envelopeOf?.bind(runner) }),
    webhookIds: Array.isArray(config.webhooks) ? Object.freeze(config.webhooks.map((webhook) => webhook.id)) : undefined,
  };
  Object.defineProperty(hooks, RESPOND, { value: respond });
  return hooks;
}

