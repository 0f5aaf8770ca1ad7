import type { Agent, InboundWebhooks, InboundWebhooksOptions } from "@hookrun/core";

export interface DemoConfig {
  port: number;
  webhookId: string;
  token: string;
  tokenGenerated: boolean;
  /** HOOKRUN_DEMO_AGENT_DELAY_MS: how long each demo run works before writing its line. Default 0. */
  agentDelayMs?: number;
  dashboardToken: string;
  dashboardTokenGenerated: boolean;
}
export declare const demoAgent: Agent;
export declare function slowDemoAgent(delayMs: number): Agent;
export declare function demoConfig(env?: NodeJS.ProcessEnv): DemoConfig;
export declare function createDemoHooks(config?: DemoConfig, options?: Omit<InboundWebhooksOptions, "webhooks">): InboundWebhooks;
export declare function createDemoDashboard(hooks: InboundWebhooks, config: DemoConfig): import("@hookrun/dashboard").Dashboard;
export declare function printStartup(name: string, config: DemoConfig): void;
/** Graceful shutdown on SIGINT/SIGTERM: every request in flight answered, accepted runs kept, exit 0 within `graceMs` (default 10 s). */
export declare function closeOnSignals(server: import("node:http").Server, hooks: InboundWebhooks, options?: { graceMs?: number; signals?: NodeJS.Signals[] }): void;
