import { createServer } from "node:http";
import { bearer, createInboundWebhooks, memoryRunner, type Agent, type InboundWebhooks, type RunRecord, type RunsApi } from "@hookrun/core";
import { createDashboard, type DashboardOptions } from "@hookrun/dashboard";
import { listen, type RunningServer } from "./servers";

export const WEBHOOK_TOKEN = "webhook-token-0123456789";
export const OPERATOR = "operator-token-0123456789";
export const VIEWER = "viewer-token-0123456789";
/** What a hostile sender puts everywhere it can: markup, a script end tag, handlers, quotes, entities. */
export const HOSTILE = `<img src=x onerror="window.__pwned=1"></script><script>window.__pwned=2</script>"'&amp;`;

/** An `@hookrun/ai`-shaped record, as an AI agent's run resolves to. */
export const AGENT_RECORD = {
  stopReason: "completed",
  text: "Escalated cus_123.",
  usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 },
  steps: [
    {
      finishReason: "tool-calls",
      usage: { inputTokens: 60, outputTokens: 10, totalTokens: 70 },
      toolCalls: [
        { toolName: "lookupAccount", input: { id: "cus_123" }, output: { plan: "pro" }, durationMs: 12 },
        { toolName: "deleteAccount", input: { id: "cus_123" }, refused: true, error: "tool not allowed", durationMs: 0 },
      ],
    },
    { finishReason: "stop", usage: { inputTokens: 60, outputTokens: 20, totalTokens: 80 }, toolCalls: [] },
  ],
};

/** The test agent: what it does is chosen by the payload's `mode`. */
const agent: Agent<{ mode?: string }> = (envelope, ctx) => {
  const mode = (envelope.payload as { mode?: string } | null)?.mode;
  if (mode === "fail") {
    ctx.logger.info({ account: "cus_123", attempt: ctx.attempt }, "calling the CRM");
    throw new Error(`CRM down (attempt ${ctx.attempt})`);
  }
  if (mode === "hostile") {
    ctx.logger.warn({ [HOSTILE]: HOSTILE }, HOSTILE);
    throw new Error(HOSTILE);
  }
  if (mode === "hostile-result") return HOSTILE;
  if (mode === "agent") return AGENT_RECORD;
  ctx.logger.info({ replayOf: ctx.replayOf ?? null }, "done");
  return { ok: true };
};

export interface LiveHooks {
  hooks: InboundWebhooks;
  runs: RunsApi;
  /** Delivers `payload` to a webhook (`alerts` unless named) as a sender would; the `202`'s runId. */
  send(payload: unknown, headers?: Record<string, string>, webhookId?: string): Promise<string>;
  /** The run's record once it has succeeded or failed. */
  settled(runId: string): Promise<RunRecord>;
  /** Every run settled (the replays earlier steps started included), so counts hold still. */
  quiet(): Promise<void>;
}

/** Real hooks (memory runner: two attempts, no backoff) with two webhooks, `alerts` and `billing`, and the test agent. */
export function liveHooks(): LiveHooks {
  const hooks = createInboundWebhooks({
    webhooks: [
      { id: "alerts", auth: bearer(WEBHOOK_TOKEN), agent },
      { id: "billing", auth: bearer(WEBHOOK_TOKEN), agent },
    ],
    runner: memoryRunner({ attempts: 2, backoff: { delayMs: 0, jitter: 0 } }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const { runs } = hooks;
  const settled = async (runId: string) => {
    for (let tries = 0; tries < 2_000; tries++) {
      const run = await runs.get(runId);
      if (run && (run.status === "succeeded" || run.status === "failed")) return run;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`run ${runId} did not settle`);
  };
  return {
    hooks,
    runs,
    async send(payload, headers = {}, webhookId = "alerts") {
      const response = await hooks.handleInboundWebhook({
        method: "POST",
        webhookId,
        headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(payload),
      });
      if (response.status !== 202) throw new Error(`webhook answered ${response.status}: ${response.body}`);
      return (JSON.parse(response.body) as { runId: string }).runId;
    },
    settled,
    async quiet() {
      for (const run of (await runs.list({ limit: 500 })).runs) await settled(run.runId);
    },
  };
}

export interface Seen {
  method: string;
  path: string;
  status: number;
}

export interface LiveDashboard extends LiveHooks {
  server: RunningServer;
  /** `<origin>/hookrun/` */
  base: string;
  /** Every request the dashboard answered, for assertions about what reached the server. */
  seen: Seen[];
  close(): Promise<void>;
}

/** {@link liveHooks} and the dashboard (operator and viewer tokens) on `node:http`, port 0. */
export async function liveDashboard(options: Partial<DashboardOptions> = {}): Promise<LiveDashboard> {
  const live = liveHooks();
  const dashboard = createDashboard(live.hooks, { authorize: { operator: OPERATOR, viewer: VIEWER }, ...options });
  const seen: Seen[] = [];
  const server = await listen(
    createServer((req, res) => {
      res.on("finish", () => seen.push({ method: req.method!, path: req.url!, status: res.statusCode }));
      dashboard.node(req, res);
    }),
  );
  return {
    ...live,
    server,
    base: `${server.origin}${dashboard.basePath}/`,
    seen,
    async close() {
      await server.close();
      await live.hooks.close({ timeoutMs: 1_000 });
    },
  };
}
