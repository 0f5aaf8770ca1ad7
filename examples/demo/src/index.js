import { randomBytes } from "node:crypto";
import { bearer, createInboundWebhooks } from "@hookrun/core";

export { closeOnSignals } from "./shutdown.js";

/**
 * The demo agent: one JSON line per run on stdout, holding the exact envelope it received.
 * A real agent would call an LLM or an API here, passing `ctx.signal` along.
 * @type {import("@hookrun/core").Agent}
 */
export function demoAgent(envelope, ctx) {
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
 * (generated and printed once when unset); HOOKRUN_DEMO_AGENT_DELAY_MS (0) makes each run take
 * that long, to watch a shutdown let runs finish.
 */
export function demoConfig(env = process.env) {
  const token = env.HOOKRUN_WEBHOOK_TOKEN || randomBytes(32).toString("base64url");
  return {
    port: Number(env.PORT || 3000),
    webhookId: env.HOOKRUN_WEBHOOK_ID || "demo",
    token,
    tokenGenerated: !env.HOOKRUN_WEBHOOK_TOKEN,
    agentDelayMs: Number(env.HOOKRUN_DEMO_AGENT_DELAY_MS || 0),
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
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
}
