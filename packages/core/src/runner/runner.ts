import type { Agent, Envelope, HookrunEvent, Logger } from "../types";

/**
 * An accepted job. Data only (no functions), so a durable runner can serialize it and a worker in
 * another process can run it: the agent is looked up there by `webhookId`.
 */
export interface RunnerJob {
  runId: string;
  webhookId: string;
  envelope: Envelope;
  deliveryId: string | undefined;
  /** Epoch milliseconds at which the request was accepted. */
  receivedAt: number;
}

/** What a runner answers once it holds a job. */
export interface EnqueueReceipt {
  runId: string;
}

/** What hookrun gives a runner when it starts: how to find agents, where to log and report. */
export interface RunnerHost {
  resolveAgent(webhookId: string): Promise<Agent | undefined>;
  logger: Logger;
  emit(event: HookrunEvent): void;
}

/**
 * Runs accepted jobs off the request path. The HTTP side only calls `enqueue`, and answers `202`
 * only once it has resolved. A runner refuses with a `HookrunError` (`queue_full`,
 * `shutting_down`) when it cannot take a job.
 */
export interface Runner {
  readonly name: string;
  /** Called once by `createInboundWebhooks`. */
  start(host: RunnerHost): void;
  enqueue(job: RunnerJob): Promise<EnqueueReceipt>;
  /** Stop taking jobs, let the started ones finish, then resolve. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}
