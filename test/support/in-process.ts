import { once } from "node:events";
import type { Server } from "node:http";
import {
  bearer,
  createInboundWebhooks,
  type HookrunEvent,
  type InboundRequest,
  type InboundWebhooks,
  type InboundWebhooksOptions,
  type Logger,
  type Agent,
  type WebhookFields,
} from "@hookrun/core";
import type { ContractServer } from "../adapter-contract";
import { RunLog, recordingAgent } from "./recorder";

export const CONTRACT_TOKEN = "contract-token-0123456789abcdef";
export const CONTRACT_WEBHOOK_ID = "contract";

/** One recorded log call. */
export interface LogLine {
  level: keyof Logger;
  fields: Record<string, unknown>;
  message: string;
}

/** A logger that keeps every line, for assertions (and to keep test output quiet). */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: keyof Logger) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export interface TestHooks {
  hooks: InboundWebhooks;
  runs: RunLog;
  logger: ReturnType<typeof memoryLogger>;
  events: HookrunEvent[];
  /** A valid request to the contract webhook; override any part. */
  request(overrides?: Partial<InboundRequest>): InboundRequest;
}

/**
 * The contract's webhook (id `contract`, bearer `CONTRACT_TOKEN`, a recording agent) with a
 * recording logger and event list. `webhook` and `options` override parts of it.
 */
export function contractHooks(webhook: Partial<WebhookFields> & { agent?: Agent } = {}, options: Partial<InboundWebhooksOptions> = {}): TestHooks {
  const runs = new RunLog();
  const logger = memoryLogger();
  const events: HookrunEvent[] = [];
  const hooks = createInboundWebhooks({
    webhooks: [{ id: CONTRACT_WEBHOOK_ID, auth: bearer(CONTRACT_TOKEN), agent: recordingAgent(runs), ...webhook }],
    logger,
    onEvent: (event) => void events.push(event),
    ...options,
  });
  const request = (overrides: Partial<InboundRequest> = {}): InboundRequest => ({
    method: "POST",
    webhookId: CONTRACT_WEBHOOK_ID,
    headers: { authorization: `Bearer ${CONTRACT_TOKEN}` },
    body: '{"event":"x"}',
    ...overrides,
  });
  return { hooks, runs, logger, events, request };
}

/** Parses an InboundResponse body. */
export function bodyOf<T = Record<string, unknown>>(response: { body: string }): T {
  return JSON.parse(response.body) as T;
}

/** Listens on an ephemeral loopback port; `close` also drops kept-alive connections. */
export async function listen(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  if (!server.listening) server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    port,
    async close() {
      const closed = once(server, "close");
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A ContractServer for an adapter mounted in this process on `server`. */
export async function inProcessContractServer(server: Server, hooks: InboundWebhooks, runs: RunLog): Promise<ContractServer> {
  const listening = await listen(server);
  return {
    port: listening.port,
    webhookId: CONTRACT_WEBHOOK_ID,
    token: CONTRACT_TOKEN,
    runs,
    nodeAdapter: true,
    async close() {
      await listening.close();
      await hooks.close();
    },
  };
}
