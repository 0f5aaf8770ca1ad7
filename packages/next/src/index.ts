import { HookrunConfigError, type InboundWebhooks, type Logger } from "@hookrun/core";
import { handleFetchRequest } from "@hookrun/core/fetch";
import { serverlessPlatform } from "./platform";

export * from "@hookrun/core";
export { serverlessPlatform } from "./platform";

/** Keeps the function alive until the task settles: the shape of Next's `after`. */
export type AfterFunction = (task: Promise<unknown>) => void;

/** Options of {@link createNextRouteHandlers}. */
export interface NextRouteHandlersOptions {
  /** Dynamic segment that holds the webhook id. Default `"webhookId"` (`[webhookId]`). */
  param?: string;
  /**
   * Where each accepted in-memory run is handed so the platform keeps the function alive until it
   * ends (see `memoryRunner`'s `waitUntil`). Default: Next's own `after` from `next/server` when
   * this Next has it (15.1 and later); on 14 and 15.0, none. `false` hands nothing over.
   */
  after?: AfterFunction | false;
  /**
   * Where the one start-up warning goes (a serverless platform without `after()`, in-memory
   * runner). Default: `process.emitWarning`, which Node prints on stderr.
   */
  logger?: Pick<Logger, "warn">;
}

type Params = Record<string, string | string[] | undefined>;
/** Next 15+ passes `params` as a promise, Next 14 as an object; both are accepted. */
export interface NextRouteContext {
  params: Promise<Params> | Params;
}
export type NextRouteHandler = (request: Request, context: NextRouteContext) => Promise<Response>;

let nextAfter: Promise<AfterFunction | undefined> | undefined;
let warned = false;

/**
 * Next's `after`, found by feature: `next/server` exports it from Next 15.1 on. Loaded on first
 * use, so this package loads (and its Fetch handlers work) where `next` is not installed.
 */
function loadNextAfter(): Promise<AfterFunction | undefined> {
  nextAfter ??= import("next/server").then(
    (server: Record<string, unknown>) => {
      const after = server["after"] ?? (server["default"] as Record<string, unknown> | undefined)?.["after"];
      return typeof after === "function" ? (after as AfterFunction) : undefined;
    },
    () => undefined,
  );
  return nextAfter;
}

/**
 * Route handlers for `app/inbound-webhooks/[webhookId]/route.ts` (App Router, Node.js runtime).
 * Every method reaches hookrun, so non-POST requests get its `405`.
 *
 * With the in-memory runner, each accepted run is handed to Next's `after()` (Next 15.1+): on
 * Vercel and other serverless hosts the function stays alive until the run ends (up to the
 * route's `maxDuration`), and `next start` finishes pending runs on SIGTERM before it exits.
 * Without `after()` (Next 14, 15.0) on a serverless platform, a run may be frozen or killed once
 * the `202` is sent: a warning says so once. The durable answer there is `@hookrun/bullmq` with a
 * long-lived worker. Throws `HookrunConfigError` on the Edge runtime, which cannot run hookrun.
 *
 * @example
 * ```ts
 * // app/inbound-webhooks/[webhookId]/route.ts
 * import { createNextRouteHandlers } from "@hookrun/next";
 * import { hooks } from "@/lib/hooks";
 *
 * export const runtime = "nodejs";
 * export const maxDuration = 300; // how long a serverless run may take after the 202
 * export const { GET, POST, PUT, PATCH, DELETE } = createNextRouteHandlers(hooks);
 * ```
 */
export function createNextRouteHandlers(
  hooks: InboundWebhooks,
  options: NextRouteHandlersOptions = {},
): Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", NextRouteHandler> {
  refuseEdgeRuntime();
  const param = options.param ?? "webhookId";
  // after() keeps the function alive for the promise it is given; outside a request scope it throws,
  // and the memory runner then logs that this run is not kept alive.
  const fetchOptions = (options.after === undefined ? loadNextAfter() : Promise.resolve(options.after || undefined)).then((after) => {
    if (!after) warnIfServerless(hooks, options.logger);
    return after ? { waitUntil: (work: Promise<unknown>) => after(work) } : undefined;
  });
  const handler: NextRouteHandler = async (request, context) => {
    const id = (await context.params)[param];
    return handleFetchRequest(hooks, request, typeof id === "string" ? id : "", await fetchOptions);
  };
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler };
}

function refuseEdgeRuntime(): void {
  if (process.env.NEXT_RUNTIME === "edge" || typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === "string") {
    throw new HookrunConfigError(
      "runtime",
      'hookrun cannot run on the Edge runtime (it needs Node.js: streams, crypto, a runner that outlives the response). Add `export const runtime = "nodejs";` to the route file.',
    );
  }
}

function warnIfServerless(hooks: InboundWebhooks, logger: Pick<Logger, "warn"> | undefined): void {
  const platform = serverlessPlatform(process.env);
  // A durable runner (bullmq) answers 202 only once Redis holds the job: nothing is lost here.
  if (warned || !platform || hooks.runner.name !== "memory") return;
  warned = true;
  const message =
    `hookrun: running on ${platform} with the in-memory runner and without Next's after() (Next 15.1+): ` +
    "a run may be frozen or killed once the 202 is sent, so runs are at most once and bounded by the function's maxDuration. " +
    "Upgrade Next for after(), or use @hookrun/bullmq with a long-lived worker for durable runs.";
  if (logger) logger.warn({ platform, runner: hooks.runner.name }, message);
  else process.emitWarning(message, { code: "HOOKRUN_SERVERLESS_AT_MOST_ONCE" });
}
