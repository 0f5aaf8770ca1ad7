import type { Agent, AgentContext, Envelope } from "@hookrun/core";

export interface RecordedRun {
  runId: string;
  envelope: Envelope;
  ctx?: AgentContext;
}

/** Collects runs by runId; `waitFor` resolves when a given run has started. */
export class RunLog {
  private readonly runs = new Map<string, RecordedRun>();
  private readonly waiters = new Map<string, (run: RecordedRun) => void>();

  record(run: RecordedRun): void {
    this.runs.set(run.runId, run);
    this.waiters.get(run.runId)?.(run);
    this.waiters.delete(run.runId);
  }

  get size(): number {
    return this.runs.size;
  }

  waitFor(runId: string, timeoutMs = 10_000): Promise<RecordedRun> {
    const seen = this.runs.get(runId);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`run ${runId} did not start within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(runId, (run) => {
        clearTimeout(timer);
        resolve(run);
      });
    });
  }
}

/** An agent that records every run it gets. */
export function recordingAgent(log: RunLog): Agent {
  return (envelope, ctx) => log.record({ runId: ctx.runId, envelope, ctx });
}
