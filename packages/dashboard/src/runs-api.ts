// The part of `hooks.runs` (DESIGN.md "Runs and the dashboard") the dashboard reads and drives.
// Kept structural so the dashboard depends on the contract, not on one store.

export type RunStatus = "queued" | "running" | "retrying" | "succeeded" | "failed";

export interface RunLogLine {
  time: string | number;
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface RunAttemptRecord {
  attempt: number;
  startedAt: string | number;
  finishedAt?: string | number;
  error?: { message: string; stack?: string };
  logs: RunLogLine[];
}

export interface RunRecordLike {
  runId: string;
  webhookId: string;
  agent?: string;
  deliveryId?: string;
  status: RunStatus;
  receivedAt: string | number;
  startedAt?: string | number;
  finishedAt?: string | number;
  durationMs?: number;
  attempts: RunAttemptRecord[];
  result?: unknown;
  envelope?: unknown;
  replayOf?: string;
  replays: string[];
  [more: string]: unknown;
}

export interface RunsQuery {
  status?: RunStatus;
  webhookId?: string;
  deliveryId?: string;
  since?: number;
  until?: number;
  cursor?: string;
  limit?: number;
}

export interface RefusedEntry {
  time: string | number;
  webhookId: string;
  status: number;
  code: string;
  reason: string;
  bytes?: number;
}

export interface RunsApi {
  list(query: RunsQuery): Promise<{ runs: RunRecordLike[]; nextCursor?: string }>;
  get(runId: string): Promise<RunRecordLike | undefined>;
  replay(runId: string, options?: { reason?: string }): Promise<{ runId: string }>;
  replayMany(filter: Omit<RunsQuery, "cursor" | "limit">, options?: { dryRun?: boolean; reason?: string }): Promise<unknown>;
  refused(query?: { since?: number; limit?: number }): Promise<RefusedEntry[] | { refused: RefusedEntry[] }>;
}
