import { parseOptions, type InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

export * from "@hookrun/core";

/** Options of {@link hookrunFastify} (Fastify's own `prefix` is passed next to them). */
export interface HookrunFastifyOptions {
  /** What `createInboundWebhooks()` returned. Required. */
  hooks: InboundWebhooks;
  /**
   * Fastify's route prefix: the route becomes `<prefix>/inbound-webhooks/:webhookId`. Handled by
   * Fastify's `register`, as for any plugin. Default: none.
   */
  prefix?: string;
  /**
   * How long `app.close()` lets accepted runs finish (`hooks.close({ timeoutMs })`) before it
   * aborts what is left. `null` waits for every run. Default `10_000` (10 s).
   */
  closeTimeoutMs?: number | null;
}

const optionsSchema = z.object({
  hooks: z.custom<InboundWebhooks>(
    (value) => typeof value === "object" && value !== null && typeof (value as InboundWebhooks).handleInboundWebhook === "function",
    "expected what createInboundWebhooks() returned",
  ),
  closeTimeoutMs: z.number().int().positive().max(2 ** 31 - 1).nullable().default(10_000),
});

type Params = { webhookId: string };

/**
 * Fastify 5 plugin: serves `POST <prefix>/inbound-webhooks/:webhookId` with hookrun. In its own
 * encapsulated context it replaces the content-type parsers with one that hands hookrun the request
 * stream untouched (no JSON parse, no second copy, no Fastify `bodyLimit`: hookrun's `maxBodyBytes`
 * applies), so the app's parsers elsewhere are unchanged. Every method reaches hookrun (`405` with
 * `Allow: POST`), and the refusals Fastify would make before the handler (a malformed
 * `Content-Type`) are answered by hookrun too: every answer is hookrun's JSON or problem+json.
 * `app.close()` drains the runner (`hooks.close`), after the server has stopped accepting.
 *
 * @example
 * ```ts
 * import Fastify from "fastify";
 * import { bearer, createInboundWebhooks, hookrunFastify } from "@hookrun/fastify";
 *
 * const hooks = createInboundWebhooks({
 *   webhooks: [{ id: "alerts", auth: bearer(process.env.ALERTS_TOKEN!), agent: async (envelope) => {} }],
 * });
 * const app = Fastify();
 * await app.register(hookrunFastify, { hooks }); // or { hooks, prefix: "/api" }
 * await app.listen({ port: 3000 });
 * ```
 */
export const hookrunFastify: FastifyPluginAsync<HookrunFastifyOptions> = async function hookrunFastify(app: FastifyInstance, options) {
  const { hooks, closeTimeoutMs } = parseOptions(optionsSchema, options, "hookrunFastify");

  // Scoped to this plugin (not wrapped in fastify-plugin): the app's JSON parser stays as it was.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", passStreamThrough);
  // perf: Fastify caches the parser it finds for a Content-Type, except the catch-all: without
  // this, every JSON delivery's Content-Type was parsed again (~1.4 µs a request). Same parser.
  app.addContentTypeParser("application/json", passStreamThrough);

  const serve = (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply): Promise<void> => {
    // perf: hookrun writes to Node's response itself (one writeHead, a lingering close after an early 413).
    reply.hijack();
    return handleNodeRequest(hooks, request.raw, reply.raw, request.params.webhookId ?? "");
  };
  app.all<{ Params: Params }>("/inbound-webhooks/:webhookId", serve);

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    // Fastify refuses some requests before any parser ran (a malformed Content-Type, QUERY without
    // one): the body is untouched, so hookrun answers them as it answers any request.
    if (isFastifyRefusal(error) && !reply.sent) return serve(request as FastifyRequest<{ Params: Params }>, reply);
    throw error; // the app's own errors (its hooks') go to the app's error handler
  });

  app.addHook("onClose", () => hooks.close(closeTimeoutMs === null ? undefined : { timeoutMs: closeTimeoutMs }));
};

function passStreamThrough(_request: FastifyRequest, payload: NodeJS.ReadableStream, done: (error: null, body: unknown) => void): void {
  done(null, payload);
}

const PRE_HANDLER_REFUSALS = new Set(["FST_ERR_CTP_INVALID_MEDIA_TYPE", "FST_ERR_ROUTE_MISSING_CONTENT_TYPE"]);

function isFastifyRefusal(error: FastifyError): boolean {
  return typeof error.code === "string" && PRE_HANDLER_REFUSALS.has(error.code);
}
