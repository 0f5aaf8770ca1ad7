import { z } from "zod";
import { parseOptions } from "../config";
import type { CustomVerifier, Verifier } from "../auth/verifier";
import { HookrunConfigError } from "../errors";
import { compileDeliveryId, type DeliveryIdOf } from "../http/delivery-id";
import type { Agent, PayloadSchema, TriggerRequest, WebhookDefinition, WebhookResolver } from "../types";

/** A webhook ready for requests: verifiers split by phase, limit resolved. */
export interface CompiledWebhook {
  id: string;
  headerVerifiers: readonly Verifier[];
  bodyVerifiers: readonly Verifier[];
  /** `[undefined]` for a single `agent`; the agent names of a fan-out webhook, in definition order. */
  agentNames: ReadonlyArray<string | undefined>;
  agent(name: string | undefined): Agent | undefined;
  maxBodyBytes: number;
  /** The delivery id of a request (see `compileDeliveryId`). */
  deliveryId: DeliveryIdOf;
  filter: ((payload: unknown, request: TriggerRequest) => boolean | Promise<boolean>) | undefined;
  schema: PayloadSchema | undefined;
}

/** Finds webhooks by id, whether they were given as a list or a resolver function. */
export interface WebhookRegistry {
  lookup(id: string): CompiledWebhook | undefined | Promise<CompiledWebhook | undefined>;
  resolveAgent(id: string, agent?: string): Agent | undefined | Promise<Agent | undefined>;
}

// Ids are URL path segments: RFC 3986 unreserved characters only, so an id maps to one URL.
export const WEBHOOK_ID = /^[A-Za-z0-9._~-]{1,128}$/;

const AGENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === "function";
const verifierSchema = z.custom<Verifier | CustomVerifier>(
  (value) =>
    isFunction(value) ||
    (typeof value === "object" && value !== null && isFunction((value as Verifier).verify) && ["headers", "body"].includes((value as Verifier).phase)),
  "expected a verifier such as bearer(token), or a function (request, rawBody) => boolean",
);

export const webhookSchema = z.object({
  id: z.string().regex(WEBHOOK_ID, "expected 1-128 characters from A-Z a-z 0-9 . _ ~ -"),
  auth: z.union([verifierSchema, z.array(verifierSchema).min(1, "give at least one verifier")]),
  agent: z.custom<Agent>(isFunction, "expected a function (envelope, ctx) => ...").optional(),
  agents: z
    .record(z.string().regex(AGENT_NAME, "expected agent names of 1-64 characters from A-Z a-z 0-9 . _ -"), z.custom<Agent>(isFunction, "expected a function (envelope, ctx) => ..."))
    .refine((agents) => Object.keys(agents).length > 0, "give at least one agent")
    .optional(),
  maxBodyBytes: z.number().int().positive().optional(),
  deliveryId: z.custom<NonNullable<WebhookDefinition["deliveryId"]>>(isFunction, "expected a function ({ headers, payload }) => string | undefined").optional(),
  filter: z.custom<NonNullable<WebhookDefinition["filter"]>>(isFunction, "expected a function (payload, request) => boolean").optional(),
  schema: z
    .custom<PayloadSchema>(
      (value) => typeof value === "object" && value !== null && isFunction((value as PayloadSchema)["~standard"]?.validate),
      "expected a zod 4 (or other Standard Schema) schema",
    )
    .optional(),
}).superRefine((webhook, ctx) => {
  if ((webhook.agent === undefined) === (webhook.agents === undefined)) {
    ctx.addIssue({ code: "custom", path: ["agent"], message: "give either `agent` (a function) or `agents` (named functions, for fan-out), not both" });
  }
});

export function createRegistry(webhooks: readonly WebhookDefinition<any>[] | WebhookResolver, defaultMaxBodyBytes: number): WebhookRegistry {
  return isFunction(webhooks) ? resolverRegistry(webhooks, defaultMaxBodyBytes) : listRegistry(webhooks, defaultMaxBodyBytes);
}

function listRegistry(list: readonly WebhookDefinition<any>[], defaultMaxBodyBytes: number): WebhookRegistry {
  const byId = new Map<string, CompiledWebhook>();
  list.forEach((definition, index) => {
    if (byId.has(definition.id)) throw new HookrunConfigError(`webhooks.${index}.id`, `duplicate webhook id "${definition.id}"`);
    byId.set(definition.id, compile(definition, defaultMaxBodyBytes));
  });
  return {
    lookup: (id) => byId.get(id),
    // perf: synchronous, so a run starts in the turn its slot frees (no promise per run).
    resolveAgent: (id, agent) => byId.get(id)?.agent(agent),
  };
}

/**
 * A resolver may hit a database on every call. Its definitions are validated and compiled the first
 * time each object is seen, then reused for as long as the resolver returns the same object.
 */
function resolverRegistry(resolve: WebhookResolver, defaultMaxBodyBytes: number): WebhookRegistry {
  const compiled = new WeakMap<WebhookDefinition<any>, CompiledWebhook>();
  const lookup = async (id: string): Promise<CompiledWebhook | undefined> => {
    const definition = await resolve(id);
    if (definition === undefined || definition === null) return undefined;
    let webhook = compiled.get(definition);
    if (!webhook) {
      webhook = compile(parseOptions(webhookSchema, definition, `webhooks(${JSON.stringify(id)})`), defaultMaxBodyBytes);
      compiled.set(definition, webhook);
    }
    // A resolver that answers another id than the one asked for would let one id's token open another's agent.
    return webhook.id === id ? webhook : undefined;
  };
  return {
    lookup,
    resolveAgent: async (id, agent) => (await lookup(id))?.agent(agent),
  };
}

function compile(definition: z.output<typeof webhookSchema> | WebhookDefinition<any>, defaultMaxBodyBytes: number): CompiledWebhook {
  const given: ReadonlyArray<Verifier | CustomVerifier> = Array.isArray(definition.auth) ? definition.auth : [definition.auth as Verifier | CustomVerifier];
  const verifiers = given.map((verifier) => (isFunction(verifier) ? fromFunction(verifier as CustomVerifier, definition.id) : verifier));
  return {
    id: definition.id,
    headerVerifiers: verifiers.filter((verifier) => verifier.phase === "headers"),
    bodyVerifiers: verifiers.filter((verifier) => verifier.phase === "body"),
    ...agentsOf(definition as WebhookDefinition<any>),
    maxBodyBytes: definition.maxBodyBytes ?? defaultMaxBodyBytes,
    deliveryId: compileDeliveryId(definition.deliveryId, verifiers),
    filter: definition.filter,
    schema: definition.schema,
  };
}

/** One agent under no name, or a fan-out webhook's named agents. */
function agentsOf(definition: WebhookDefinition<any>): Pick<CompiledWebhook, "agentNames" | "agent"> {
  const single = definition.agent as Agent | undefined;
  if (single) return { agentNames: [undefined], agent: (name) => (name === undefined ? single : undefined) };
  const named = new Map<string, Agent>(Object.entries(definition.agents ?? {}) as Array<[string, Agent]>);
  return { agentNames: [...named.keys()], agent: (name) => (name === undefined ? undefined : named.get(name)) };
}

/** A custom `(request, rawBody) => boolean` as a body-phase verifier (it may need the bytes). */
function fromFunction(check: CustomVerifier, webhookId: string): Verifier {
  return {
    scheme: "custom",
    phase: "body",
    verify: (headers, rawBody) => check({ webhookId, headers }, rawBody ?? new Uint8Array(0)),
  };
}
