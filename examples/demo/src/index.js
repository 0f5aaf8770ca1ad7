import { randomBytes } from "node:crypto";
import { bearer, createInboundWebhooks } from "@hookrun/core";
import { createDashboard } from "@hookrun/dashboard";

export { closeOnSignals } from "./shutdown.js";

/**
 * The demo agent: one JSON line per run on stdout, holding the exact envelope it received.
 * A real agent would call an LLM or an API here, passing `ctx.signal` along.
 * @type {import("@hookrun/core").Agent}
 */
export function demoAgent(envelope, ctx) {
  ctx.logger.info({ attempt: ctx.attempt }, "demo agent received the envelope");
  process.stdout.write(`${JSON.stringify({ runId: ctx.runId, deliveryId: ctx.deliveryId ?? null, envelope })}\n`);
}

/**
 * The demo agent that first works for `delayMs` (as an LLM call would), then writes its line;
 * `ctx.signal` cuts the wait short. Used when HOOKRUN_DEMO_AGENT_DELAY_MS is set.
 * @param {number} delayMs
 * @returns {import("@hookrun/core").Agent}
 */
export function slowDemoAgent(delayMs) {
  return async (envelope, ctx) => {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      ctx.signal.addEventListener("abort", () => resolve(clearTimeout(timer)), { once: true });
    });
    demoAgent(envelope, ctx);
  };
}

/**
 * The examples' contract: PORT (3000), HOOKRUN_WEBHOOK_ID ("demo"), HOOKRUN_WEBHOOK_TOKEN
 * and HOOKRUN_DASHBOARD_TOKEN (each generated and printed once when unset);
 * HOOKRUN_DEMO_AGENT_DELAY_MS (0) makes each run take that long, to watch a shutdown let runs finish.
 */
export function demoConfig(env = process.env) {
  const token = env.HOOKRUN_WEBHOOK_TOKEN || randomBytes(32).toString("base64url");
  const dashboardToken = env.HOOKRUN_DASHBOARD_TOKEN || randomBytes(32).toString("base64url");
  return {
    port: Number(env.PORT || 3000),
    webhookId: env.HOOKRUN_WEBHOOK_ID || "demo",
    token,
    tokenGenerated: !env.HOOKRUN_WEBHOOK_TOKEN,
    agentDelayMs: Number(env.HOOKRUN_DEMO_AGENT_DELAY_MS || 0),
    dashboardToken,
    dashboardTokenGenerated: !env.HOOKRUN_DASHBOARD_TOKEN,
  };
}

/**
 * The demo webhook set up with hookrun's defaults (memory runner, 1 MiB limit); `options` adds to
 * them (e.g. `{ role, runner }`).
 */
export function createDemoHooks(config = demoConfig(), options = {}) {
  return createInboundWebhooks({
    webhooks: [{ id: config.webhookId, auth: bearer(config.token), agent: config.agentDelayMs > 0 ? slowDemoAgent(config.agentDelayMs) : demoAgent }],
    ...options,
  });
}

/**
 * The runs dashboard at `/hookrun`: a browser signs in with any user name and the dashboard token
 * as the password (HTTP Basic), as an operator who may replay runs.
 */
export function createDemoDashboard(hooks, config) {
  return createDashboard(hooks, { authorize: { operator: config.dashboardToken }, basePath: "/hookrun" });
}

/** Tells the developer, on stderr, what to curl. Prints the token only when it was generated. */
export function printStartup(name, config) {
  const url = `http://localhost:${config.port}/inbound-webhooks/${config.webhookId}`;
  const token = config.tokenGenerated ? config.token : "$HOOKRUN_WEBHOOK_TOKEN";
  const lines = [
    `hookrun ${name} example listening on ${url}`,
    `webhook id: ${config.webhookId}`,
    config.tokenGenerated ? `token (generated for this run): ${config.token}` : "token: from HOOKRUN_WEBHOOK_TOKEN",
    "try:",
    `  curl -X POST ${url} -H "Authorization: Bearer ${token}" -d '{"event":"x"}'`,
    `dashboard: http://localhost:${config.port}/hookrun/ (user name: anything, password: the dashboard token)`,
    config.dashboardTokenGenerated ? `dashboard token (generated for this run): ${config.dashboardToken}` : "dashboard token: from HOOKRUN_DASHBOARD_TOKEN",
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
}
