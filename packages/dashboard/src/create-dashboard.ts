import { describeError, HookrunConfigError, HookrunError, parseOptions, type InboundWebhooks, type RunsApi } from "@hookrun/core";
import { z } from "zod";
import { handleApi } from "./api/handle-api";
import { isCrossOrigin } from "./auth/same-origin";
import { tokenAuthorize, type Authorize, type DashboardTokens, type Role } from "./auth/token-authorize";
import { errorResponse, problem, respond } from "./http/responses";
import { expressMount, type ExpressMount } from "./mounts/express";
import { koaMount, type KoaMount } from "./mounts/koa";
import { nextMount, type NextMount } from "./mounts/next";
import { nodeMount, type NodeMount } from "./mounts/node";
import { DASHBOARD_CSS, DASHBOARD_JS, dashboardPage, signInPage } from "./ui/page";

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /**
   * Who may use the dashboard. Either a function of the Fetch `Request` answering `false` (not
   * signed in: `401`), `"viewer"` (read only) or `"operator"` (read and replay), sync or async; or
   * tokens per role, `{ operator, viewer? }` (plain or `sha256:<hex>`, several for rotation), for
   * the built-in login: the browser asks for a user name (any) and password (the token) through
   * HTTP Basic, and scripts send `Authorization: Bearer <token>`. Required unless `insecure: true`.
   */
  authorize?: Authorize | DashboardTokens;
  /**
   * The path the dashboard is mounted at, as the app sees it (after any proxy stripped its own
   * prefix). The page uses relative URLs only, so a proxy may serve it under a longer path. Default
   * `"/hookrun"`; `"/"` for the root.
   */
  basePath?: string;
  /** Without `authorize`, let everyone in as `operator`. Only for local experiments. Default `false`. */
  insecure?: boolean;
  /** How often the open page asks for new runs and status changes, in ms. Default `3_000`. */
  pollIntervalMs?: number;
}

/** The handler {@link createDashboard} returns: call it with a Fetch `Request`, or use a mount. */
export interface Dashboard {
  (request: Request): Promise<Response>;
  /** The normalized base path (no trailing slash; `""` for the root). */
  readonly basePath: string;
  /** `node:http` request listener; with a third argument it calls `next()` for paths outside `basePath`. */
  readonly node: NodeMount;
  /** Express (4 or 5) middleware: `app.use(dashboard.express)` or `app.use("/hookrun", dashboard.express)`. */
  readonly express: ExpressMount;
  /** Koa (2 or 3) middleware: `app.use(dashboard.koa)`; other paths go to `next()`. */
  readonly koa: KoaMount;
  /** Next.js App Router route handlers for `app/<basePath>/[[...path]]/route.ts`. */
  readonly next: NextMount;
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === "function";

const optionsSchema = z
  .object({
    authorize: z
      .union([
        z.custom<Authorize>(isFunction),
        z.object({ operator: z.unknown().refine((v) => v !== undefined, "give the operator token(s)"), viewer: z.unknown().optional() }),
      ])
      .optional(),
    basePath: z
      .string()
      .regex(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/, "expected a path such as /hookrun")
      .default("/hookrun")
      .transform((path) => path.replace(/\/+$/, "")),
    insecure: z.boolean().default(false),
    pollIntervalMs: z.number().int().min(250).max(600_000).default(3_000),
  })
  .refine((options) => options.authorize !== undefined || options.insecure, {
    message: "authorize is required: a function (request) => false | \"viewer\" | \"operator\", or { operator, viewer? } tokens; pass insecure: true to open the dashboard to everyone",
    path: ["authorize"],
  });

const RUNS_METHODS = ["list", "count", "get", "replay", "replayMany", "refused"] as const;

function runsOf(hooks: InboundWebhooks): RunsApi {
  const runs: RunsApi | undefined = (hooks as Partial<InboundWebhooks> | undefined)?.runs;
  if (!runs || RUNS_METHODS.some((method) => !isFunction(runs[method]))) {
    throw new HookrunConfigError("hooks", "expected what createInboundWebhooks() returned, with hooks.runs (list, count, get, replay, replayMany, refused)");
  }
  return runs;
}

const ASSET_HEADERS = { "cache-control": "public, max-age=31536000, immutable" };

/**
 * The hookrun runs dashboard and its JSON API, as one Fetch handler with mounts for `node:http`,
 * Express, Koa and Next.js. Pages: runs (filters, search by run or delivery id, new runs announced
 * without moving the list), run detail (attempts, errors, logs, payload, result, replay lineage),
 * failed runs with "replay all matching", refused requests, a per-webhook summary of the last 24 h.
 *
 * Secure by default: `authorize` is required; replays need `operator`; POSTs need the header
 * `x-hookrun-csrf: 1` and a same-origin request; a strict Content-Security-Policy (only the
 * package's own script and stylesheet, served from memory: no build step, no network); everything a
 * sender controls is shown as text. API under `<basePath>/api/`: `GET runs`, `GET runs/:runId`,
 * `POST runs/:runId/replay`, `POST replay-many`, `GET refused`, `GET summary`, `GET session`.
 *
 * @param hooks - what `createInboundWebhooks` returned (its `hooks.runs` is read and replayed).
 * @throws HookrunConfigError naming the option, e.g. `options.authorize` when it is missing.
 * @example
 * ```ts
 * import express from "express";
 * import { createDashboard } from "@hookrun/dashboard";
 *
 * const dashboard = createDashboard(hooks, {
 *   authorize: { operator: process.env.HOOKRUN_DASHBOARD_TOKEN! }, // or (request) => "viewer" | "operator" | false
 *   basePath: "/hookrun",
 * });
 * app.use("/hookrun", dashboard.express); // or createServer(dashboard.node), or app.use(dashboard.koa)
 * ```
 */
export function createDashboard(hooks: InboundWebhooks, options: DashboardOptions): Dashboard {
  const config = parseOptions(optionsSchema, options, "options");
  const runs = runsOf(hooks);
  const webhookIds = hooks.webhookIds;
  const tokens = config.authorize !== undefined && !isFunction(config.authorize);
  const authorize: Authorize =
    config.authorize === undefined
      ? () => "operator"
      : isFunction(config.authorize)
        ? config.authorize
        : tokenAuthorize(config.authorize as DashboardTokens, "options.authorize");
  const { basePath, pollIntervalMs } = config;
  const lastSegment = basePath.slice(basePath.lastIndexOf("/") + 1);
  const challenge: Record<string, string> = tokens ? { "www-authenticate": 'Basic realm="hookrun dashboard", charset="UTF-8"' } : {};

  async function serve(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const rest = pathname.slice(basePath.length);
    if (!pathname.startsWith(basePath) || (rest !== "" && !rest.startsWith("/"))) return respond(404, "Not Found", { "content-type": "text/plain; charset=utf-8" });
    const method = request.method;
    const isRead = method === "GET" || method === "HEAD";

    // The script and stylesheet are the package's own code, the same for everyone: no sign-in needed.
    if (isRead && rest === "/assets/app.js") return respond(200, DASHBOARD_JS, { "content-type": "text/javascript; charset=utf-8", ...ASSET_HEADERS });
    if (isRead && rest === "/assets/app.css") return respond(200, DASHBOARD_CSS, { "content-type": "text/css; charset=utf-8", ...ASSET_HEADERS });

    const isApi = rest.startsWith("/api/");
    const prefix = rest === "" ? `${lastSegment}/` : "";
    // Reading the API from another site's page is refused too, whatever CORS would have allowed.
    if (isApi && isRead && isCrossOrigin(request)) return problem("cross_origin", "Cross-origin requests are refused.");
    const role: Role | false = await authorize(request);
    if (role !== "viewer" && role !== "operator") {
      if (isApi) return problem("unauthorized", "Sign in to the hookrun dashboard.", { headers: challenge });
      return respond(401, signInPage(prefix, tokens), { "content-type": "text/html; charset=utf-8", ...challenge });
    }
    if (isApi) {
      let segments: string[];
      try {
        segments = rest.slice("/api/".length).split("/").map(decodeURIComponent);
      } catch {
        return problem("invalid_request", "The path is not valid percent-encoding.");
      }
      return handleApi(request, segments, role, runs, webhookIds);
    }
    if (rest === "" || rest === "/") {
      if (!isRead) return problem("method_not_allowed", "Use GET.", { headers: { allow: "GET, HEAD" } });
      return respond(200, dashboardPage(prefix, pollIntervalMs), { "content-type": "text/html; charset=utf-8" });
    }
    return respond(404, "Not Found", { "content-type": "text/plain; charset=utf-8" });
  }

  const handler = async (request: Request): Promise<Response> => {
    try {
      return await serve(request);
    } catch (error) {
      // hooks.runs refusing (run_not_found, replay_unavailable, invalid_filter): its own problem.
      if (error instanceof HookrunError) return errorResponse(error);
      // authorize() or the run store failed: answer, log, keep serving.
      process.stderr.write(`${JSON.stringify({ level: "error", time: new Date().toISOString(), name: "hookrun-dashboard", msg: "dashboard request failed", error: describeError(error) })}\n`);
      return problem("internal_error", "The dashboard could not answer this request.");
    }
  };
  return Object.assign(handler, {
    basePath,
    node: nodeMount(handler, basePath),
    express: expressMount(handler, basePath),
    koa: koaMount(handler, basePath),
    next: nextMount(handler),
  });
}
