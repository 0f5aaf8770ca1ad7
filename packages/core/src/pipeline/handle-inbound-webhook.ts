import { randomUUID } from "node:crypto";
import { bearer } from "../auth/bearer";
import type { Verifier } from "../auth/verifier";
import { parseJsonBody } from "../body/parse-json";
import { contentCodings, decodeBody } from "../body/decode-body";
import { checkDeclaredLength, readLimitedBody } from "../body/read-body";
import { createEnvelope } from "../envelope/create-envelope";
import { HookrunError } from "../errors";
import { noEvents } from "../events/no-events";
import { acceptedResponse, ignoredResponse, problemResponse, type AcceptedRun } from "../http/responses";
import { describeError } from "../logger";
import type { EnqueueOptions, EnqueueReceipt, Runner, RunnerJob } from "../runner/runner";
import type { RunsRecorder } from "../runs/recorder";
import type { Deadlines } from "../timers/deadlines";
import type { Envelope, HookrunEvent, InboundHeaders, InboundRequest, InboundResponse, Logger } from "../types";
import type { CompiledWebhook, WebhookRegistry } from "../webhooks/registry";
import { triggerRequest, validatePayload } from "../webhooks/triggers";

/** Everything the pipeline needs, built once by `createInboundWebhooks`. */
export interface Pipeline {
  registry: WebhookRegistry;
  runner: Runner;
  /** Run records: what was accepted and what was refused. */
  runs: RunsRecorder;
  logger: Logger;
  emit(event: HookrunEvent): void;
  isClosing(): boolean;
  /** A `worker`-only process serves no HTTP; a request reaching it is a deployment mistake. */
  servesHttp: boolean;
  /** Longest wait for a whole body, in ms. */
  bodyTimeoutMs: number;
  /** One shared timer list for every body read's `bodyTimeoutMs`. */
  bodyDeadlines: Deadlines;
  /** Deepest JSON nesting accepted. */
  maxDepth: number;
}

const METHOD_NOT_ALLOWED = new HookrunError("method_not_allowed", "Only POST is allowed on an inbound webhook.", {
  headers: { allow: "POST" },
});
const UNAUTHORIZED = new HookrunError("unauthorized", "Missing or invalid credentials for this webhook.", {
  headers: { "www-authenticate": 'Bearer realm="hookrun"' },
});
const NOT_INGRESS = new HookrunError("internal_error", "This instance does not accept webhooks.");
const SHUTTING_DOWN = new HookrunError("shutting_down", "The server is shutting down; retry later.", {
  headers: { "retry-after": "5" },
});
// Unknown ids run a real (always failing) check too, so they take as long as a wrong token.
const DECOY: Verifier = bearer(`sha256:${"0".repeat(64)}`);

/** A 401 that remembers, for the server-side log only, why it was given. */
class Unauthorized {
  constructor(readonly reason: "unknown_webhook" | "bad_credentials") {}
}

/** Where a pipeline's answer goes: called once, after every step has run. */
export type Respond = (response: InboundResponse) => void;

/**
 * DESIGN.md's pipeline, in its order: method, webhook + header auth, body limit, body auth, JSON,
 * triggers (filter, schema), envelope, enqueue, 202. Never rejects: every outcome, including a bug, is a response.
 */
export function handleInboundWebhook(pipeline: Pipeline, request: InboundRequest): Promise<InboundResponse> {
  return new Promise((resolve) => runInboundWebhook(pipeline, request, resolve));
}

/**
 * {@link handleInboundWebhook} with the answer handed to `respond`. perf: when every step answers
 * synchronously (a listed webhook, bearer or HMAC, an in-process runner), `respond` is called in the
 * turn the body's last byte arrives, as hand-written node:http code answers: no promise, no
 * microtask between the body and the response. `answeredInTurn`: `respond` writes the answer out
 * before it returns, so an in-process runner may start the runs right after it (see
 * `EnqueueOptions.answeredInTurn`).
 */
export function runInboundWebhook(pipeline: Pipeline, request: InboundRequest, respond: Respond, answeredInTurn = false): void {
  new Delivery(pipeline, request, respond, answeredInTurn).start();
}

const ANSWERED_IN_TURN: EnqueueOptions = { answeredInTurn: true };

/** One request on its way through the pipeline. Each step answers, or hands on to the next. */
class Delivery {
  private webhook!: CompiledWebhook;
  private authenticated = false;
  private codings: ReturnType<typeof contentCodings> = [];
  private rawBody!: Uint8Array;
  private body: Uint8Array | undefined;
  private payload: unknown;
  private deliveryId: string | undefined;
  private envelope!: Envelope;
  private receivedAt = 0;
  private readonly runs: AcceptedRun[] = [];
  private answered = false;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly request: InboundRequest,
    private readonly respond: Respond,
    private readonly answeredInTurn: boolean,
  ) {}

  start(): void {
    this.run(this.receive, undefined);
  }

  /** Runs `step` on `value`, now or once it settles: the only place an answer leaves. */
  private run<T>(step: Step<T>, value: T | Settling<T>): undefined {
    if (isThenable(value)) {
      (value as Settling<T>).then(
        (settled) => this.run(step, settled),
        (error: unknown) => this.answer(refusal(this.pipeline, this.request, error)),
      );
      return undefined;
    }
    let response: Answer;
    try {
      response = step.call(this, value as T);
    } catch (error) {
      // A throw from `respond` itself (a later step answered) is the caller's, not a refusal.
      if (this.answered) throw error;
      response = refusal(this.pipeline, this.request, error);
    }
    if (response !== undefined) this.answer(response);
    return undefined;
  }

  private answer(response: InboundResponse): void {
    this.answered = true;
    this.respond(response);
  }

  /** 1. Method, then the webhook's id. */
  private receive(): Answer {
    const { pipeline, request } = this;
    if (request.method !== "POST") throw METHOD_NOT_ALLOWED;
    if (!pipeline.servesHttp) throw NOT_INGRESS;
    if (pipeline.isClosing()) throw SHUTTING_DOWN;
    return this.run(this.authenticateHeaders, pipeline.registry.lookup(request.webhookId));
  }

  /** 2. Header credentials, checked before the body is read. */
  private authenticateHeaders(webhook: CompiledWebhook | undefined): Answer {
    const { headers } = this.request;
    // Unknown ids run a real (always failing) check too, so they take as long as a wrong token.
    if (!webhook) return this.run(unknownWebhook, DECOY.verify(headers, undefined));
    this.webhook = webhook;
    return this.run(this.readBody, anyPasses(this.pipeline, webhook.headerVerifiers, headers, undefined));
  }

  /** 3. The body, within its limit. */
  private readBody(authenticated: boolean): Answer {
    const { pipeline, webhook, request } = this;
    const { headers } = request;
    // Without any signature header to check, answer like an unknown id: before the body is read.
    if (!authenticated && !hasBodyCredentials(webhook, headers)) throw new Unauthorized("bad_credentials");
    this.authenticated = authenticated;
    const declaredLength = checkDeclaredLength(headers, webhook.maxBodyBytes);
    this.codings = contentCodings(headers);
    const options = { declaredLength, timeoutMs: pipeline.bodyTimeoutMs, deadlines: pipeline.bodyDeadlines };
    return this.run(this.authenticateBody, readLimitedBody(request.body, webhook.maxBodyBytes, options));
  }

  /** 4. Signature schemes, over the raw bytes. */
  private authenticateBody(rawBody: Uint8Array): Answer {
    this.rawBody = rawBody;
    if (this.authenticated) return this.parse(true);
    return this.run(this.parse, anyPasses(this.pipeline, this.webhook.bodyVerifiers, this.request.headers, rawBody));
  }

  /** 5. JSON, then the webhook's filter. */
  private parse(authenticated: boolean): Answer {
    if (!authenticated) throw new Unauthorized("bad_credentials");
    const { webhook, request } = this;
    this.body = decodeBody(this.rawBody, this.codings, webhook.maxBodyBytes);
    this.payload = parseJsonBody(this.body, this.pipeline.maxDepth);
    this.deliveryId = webhook.deliveryId(request.headers, this.payload);
    if (!webhook.filter) return this.validate(true);
    return this.run(this.validate, webhook.filter(this.payload, triggerRequest(webhook.id, this.deliveryId, request.headers)));
  }

  /** 6. The schema, when the webhook has one. */
  private validate(passes: unknown): Answer {
    const { webhook } = this;
    // Anything but `true` from the filter means this delivery starts nothing.
    if (passes !== true) {
      this.pipeline.emit({ type: "request.ignored", webhookId: webhook.id, deliveryId: this.deliveryId });
      return ignoredResponse();
    }
    if (!webhook.schema) return this.enqueue(this.payload);
    // Only a decoded body that is the payload as the agent gets it is recorded as it came.
    this.body = undefined;
    return this.run(this.enqueue, validatePayload(webhook.schema, this.payload));
  }

  /** 7. The envelope, and one job per agent on the runner. */
  private enqueue(payload: unknown): Answer {
    this.envelope = createEnvelope(this.webhook.id, payload);
    this.receivedAt = Date.now();
    return this.enqueueFrom(0);
  }

  /**
   * One job per agent: one for a plain webhook, one per named agent for a fan-out webhook, each
   * with its own runId. In order, so a refusal (queue full) leaves the earlier runs accepted; a
   * retry with the same delivery id gets those back as replays and enqueues only the rest.
   */
  private enqueueFrom(index: number): Answer {
    const { pipeline, webhook } = this;
    const { runner } = pipeline;
    const { waitUntil } = this.request;
    // perf: without waitUntil (a long-lived server) the options are a shared constant or nothing.
    const options =
      waitUntil !== undefined ? { waitUntil, answeredInTurn: this.answeredInTurn } : this.answeredInTurn ? ANSWERED_IN_TURN : undefined;
    const agents = webhook.agentNames;
    for (; index < agents.length; index++) {
      const agent = agents[index];
      const runId = randomUUID();
      // perf: two literals rather than a spread of a conditional object literal.
      const job: RunnerJob =
        agent === undefined
          ? { runId, webhookId: webhook.id, envelope: this.envelope, deliveryId: this.deliveryId, receivedAt: this.receivedAt }
          : { runId, webhookId: webhook.id, envelope: this.envelope, deliveryId: this.deliveryId, receivedAt: this.receivedAt, agent };
      // perf: an in-process runner takes the job at once; only a runner that must wait is awaited.
      if (runner.enqueueNow === undefined) {
        const next = index + 1;
        return this.run((receipt: EnqueueReceipt) => {
          this.accepted(job, receipt);
          return this.enqueueFrom(next);
        }, runner.enqueue(job, options));
      }
      this.accepted(job, runner.enqueueNow(job, options));
    }
    // 8. 202.
    return acceptedResponse(this.runs, webhook.id);
  }

  private accepted(job: RunnerJob, receipt: EnqueueReceipt): void {
    const { pipeline, webhook } = this;
    const { replayed } = receipt;
    const { agent } = job;
    if (!replayed) pipeline.runs.accepted(job, this.request.headers, this.body, this.rawBody.byteLength);
    if (pipeline.emit !== noEvents) {
      pipeline.emit(
        agent === undefined
          ? { type: "request.accepted", webhookId: webhook.id, runId: receipt.runId, deliveryId: job.deliveryId, replayed }
          : { type: "request.accepted", webhookId: webhook.id, runId: receipt.runId, deliveryId: job.deliveryId, replayed, agent },
      );
    }
    this.runs.push({ agent, runId: receipt.runId, replayed });
  }
}

/** A promise, or anything else that calls back once (a body read under way). */
interface Settling<T> {
  then(onValue: (value: T) => void, onError: (error: unknown) => void): unknown;
}

/** A step's outcome: the answer, or `undefined` when a later step (now or once settled) gives it. */
type Answer = InboundResponse | undefined;
type Step<T> = (this: Delivery, value: T) => Answer;

function unknownWebhook(): never {
  throw new Unauthorized("unknown_webhook");
}

function hasBodyCredentials(webhook: CompiledWebhook, headers: InboundHeaders): boolean {
  return webhook.bodyVerifiers.some((verifier) => verifier.hasCredentials?.(headers) !== false);
}

function isThenable<V>(value: V): value is Extract<V, { then: unknown }> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** `true` when one verifier passes; synchronous as long as every verifier answers synchronously. */
function anyPasses(pipeline: Pipeline, verifiers: readonly Verifier[], headers: InboundHeaders, rawBody: Uint8Array | undefined): boolean | Promise<boolean> {
  for (let index = 0; index < verifiers.length; index++) {
    const verifier = verifiers[index]!;
    let result: boolean | Promise<boolean>;
    try {
      result = verifier.verify(headers, rawBody);
    } catch (error) {
      verifierThrew(pipeline, verifier, error);
      continue;
    }
    if (isThenable(result)) return anyPassesAfter(pipeline, verifiers, index, result, headers, rawBody);
    if (result === true) return true;
  }
  return false;
}

/** {@link anyPasses} from the verifier at `index`, whose answer is pending, on. */
async function anyPassesAfter(
  pipeline: Pipeline,
  verifiers: readonly Verifier[],
  index: number,
  pending: PromiseLike<boolean>,
  headers: InboundHeaders,
  rawBody: Uint8Array | undefined,
): Promise<boolean> {
  try {
    if ((await pending) === true) return true;
  } catch (error) {
    verifierThrew(pipeline, verifiers[index]!, error);
  }
  return anyPasses(pipeline, verifiers.slice(index + 1), headers, rawBody);
}

function verifierThrew(pipeline: Pipeline, verifier: Verifier, error: unknown): void {
  // A verifier that throws (a custom one, say) counts as a failed check, not a crash.
  pipeline.logger.warn({ scheme: verifier.scheme, err: describeError(error) }, "verifier threw; treating as failed");
}

function refusal(pipeline: Pipeline, request: InboundRequest, error: unknown): InboundResponse {
  const loggedId = String(request.webhookId).slice(0, 128);
  if (error instanceof Unauthorized) {
    pipeline.logger.warn({ webhookId: loggedId, reason: error.reason }, "inbound webhook refused: unauthorized");
    return reject(pipeline, request, loggedId, UNAUTHORIZED, error.reason);
  }
  if (error instanceof HookrunError && error.code !== "internal_error") {
    // An outage refuses every request: the runner logs it once per outage, so not once per request here.
    const level = error.code === "queue_unavailable" ? "debug" : "info";
    pipeline.logger[level]({ webhookId: loggedId, code: error.code }, `inbound webhook refused: ${error.message}`);
    return reject(pipeline, request, loggedId, error, error.code);
  }
  // A bug or a misconfiguration: log what happened, tell the client nothing about it but the code.
  const internal =
    error instanceof HookrunError ? error : new HookrunError("internal_error", "The webhook could not be accepted because of a server error.");
  pipeline.logger.error({ webhookId: loggedId, err: describeError(error) }, "inbound webhook failed");
  return reject(pipeline, request, loggedId, internal, "internal_error");
}

function reject(pipeline: Pipeline, request: InboundRequest, webhookId: string, error: HookrunError, reason: string): InboundResponse {
  pipeline.emit({ type: "request.rejected", webhookId, status: error.status, code: error.code, reason });
  pipeline.runs.refused(webhookId, error, reason, request.headers);
  return problemResponse(error);
}
