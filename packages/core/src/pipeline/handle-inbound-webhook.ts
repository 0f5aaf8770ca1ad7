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
import type { Runner, RunnerJob } from "../runner/runner";
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

/**
 * DESIGN.md's pipeline, in its order: method, webhook + header auth, body limit, body auth, JSON,
 * triggers (filter, schema), envelope, enqueue, 202. Never rejects: every outcome, including a bug, is a response.
 */
export async function handleInboundWebhook(pipeline: Pipeline, request: InboundRequest): Promise<InboundResponse> {
  try {
    if (request.method !== "POST") throw METHOD_NOT_ALLOWED;
    if (!pipeline.servesHttp) throw NOT_INGRESS;
    if (pipeline.isClosing()) throw SHUTTING_DOWN;
    const { headers } = request;
    // perf: each step may answer synchronously (a listed webhook, bearer, a body already read);
    // only what is really pending is awaited, since every await is a suspension and a microtask.
    const found = pipeline.registry.lookup(request.webhookId);
    const webhook = isThenable(found) ? await found : found;
    if (!webhook) {
      await DECOY.verify(headers, undefined);
      throw new Unauthorized("unknown_webhook");
    }
    const checked = anyPasses(pipeline, webhook.headerVerifiers, headers, undefined);
    const authenticated = isThenable(checked) ? await checked : checked;
    // Without any signature header to check, answer like an unknown id: before the body is read.
    if (!authenticated && !hasBodyCredentials(webhook, headers)) throw new Unauthorized("bad_credentials");
    const declaredLength = checkDeclaredLength(headers, webhook.maxBodyBytes);
    const codings = contentCodings(headers);
    const read = readLimitedBody(request.body, webhook.maxBodyBytes, { declaredLength, timeoutMs: pipeline.bodyTimeoutMs, deadlines: pipeline.bodyDeadlines });
    const rawBody = isThenable(read) ? await read : read;
    if (!authenticated) await authenticateBody(pipeline, webhook, headers, rawBody);
    const body = decodeBody(rawBody, codings, webhook.maxBodyBytes);
    const payload = parseJsonBody(body, pipeline.maxDepth);
    const deliveryId = webhook.deliveryId(headers, payload);
    if (webhook.filter && !(await passesFilter(webhook.filter, webhook, payload, deliveryId, headers))) {
      pipeline.emit({ type: "request.ignored", webhookId: webhook.id, deliveryId });
      return ignoredResponse();
    }
    const envelope = createEnvelope(webhook.id, webhook.schema ? await validatePayload(webhook.schema, payload) : payload);
    // Without a schema the decoded body is the payload: the run record keeps it as it came.
    const recorded = { headers, body: webhook.schema ? undefined : body, rawBytes: rawBody.byteLength };
    return acceptedResponse(await enqueueRuns(pipeline, webhook, envelope, deliveryId, recorded, request.waitUntil), webhook.id);
  } catch (error) {
    return refusal(pipeline, request, error);
  }
}

function hasBodyCredentials(webhook: CompiledWebhook, headers: InboundHeaders): boolean {
  return webhook.bodyVerifiers.some((verifier) => verifier.hasCredentials?.(headers) !== false);
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<T>).then === "function";
}

/**
 * One job per agent: one for a plain webhook, one per named agent for a fan-out webhook, each
 * with its own runId. In order, so a refusal (queue full) leaves the earlier runs accepted; a
 * retry with the same delivery id gets those back as replays and enqueues only the rest.
 */
async function enqueueRuns(
  pipeline: Pipeline,
  webhook: CompiledWebhook,
  envelope: Envelope,
  deliveryId: string | undefined,
  recorded: { headers: InboundHeaders; body: Uint8Array | undefined; rawBytes: number },
  waitUntil: InboundRequest["waitUntil"],
): Promise<AcceptedRun[]> {
  const receivedAt = Date.now();
  const options = waitUntil === undefined ? undefined : { waitUntil };
  const runs: AcceptedRun[] = [];
  for (const agent of webhook.agentNames) {
    const runId = randomUUID();
    // perf: two literals rather than a spread of a conditional object literal.
    const job: RunnerJob =
      agent === undefined
        ? { runId, webhookId: webhook.id, envelope, deliveryId, receivedAt }
        : { runId, webhookId: webhook.id, envelope, deliveryId, receivedAt, agent };
    const receipt = await pipeline.runner.enqueue(job, options);
    const replayed = receipt.replayed;
    if (!replayed) pipeline.runs.accepted(job, recorded.headers, recorded.body, recorded.rawBytes);
    if (pipeline.emit !== noEvents) {
      pipeline.emit(
        agent === undefined
          ? { type: "request.accepted", webhookId: webhook.id, runId: receipt.runId, deliveryId, replayed }
          : { type: "request.accepted", webhookId: webhook.id, runId: receipt.runId, deliveryId, replayed, agent },
      );
    }
    runs.push({ agent, runId: receipt.runId, replayed });
  }
  return runs;
}

/** The webhook's filter: anything but `true` means this delivery starts nothing. */
async function passesFilter(
  filter: NonNullable<CompiledWebhook["filter"]>,
  webhook: CompiledWebhook,
  payload: unknown,
  deliveryId: string | undefined,
  headers: InboundHeaders,
): Promise<boolean> {
  return (await filter(payload, triggerRequest(webhook.id, deliveryId, headers))) === true;
}

async function authenticateBody(pipeline: Pipeline, webhook: CompiledWebhook, headers: InboundHeaders, rawBody: Uint8Array): Promise<void> {
  if (!(await anyPasses(pipeline, webhook.bodyVerifiers, headers, rawBody))) throw new Unauthorized("bad_credentials");
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
