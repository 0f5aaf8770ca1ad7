import type { HookrunEvent, Logger } from "@hookrun/core";
import { memoryLogger, type LogLine } from "./in-process";

/** Collects hookrun events and log lines, and waits for them. */
export interface Recorder {
  events: HookrunEvent[];
  logs: LogLine[];
  onEvent(event: HookrunEvent): void;
  logger: Logger;
  of<T extends HookrunEvent["type"]>(type: T): Array<Extract<HookrunEvent, { type: T }>>;
  /** Resolves once `count` events of `type` were seen (rejects after `timeoutMs`). */
  waitFor<T extends HookrunEvent["type"]>(type: T, count?: number, timeoutMs?: number): Promise<Array<Extract<HookrunEvent, { type: T }>>>;
  /** Resolves with the `run.succeeded` or `run.failed` (last attempt) event of `runId`. */
  finished(runId: string, timeoutMs?: number): Promise<Extract<HookrunEvent, { type: "run.succeeded" | "run.failed" }>>;
}

export function recorder(): Recorder {
  const events: HookrunEvent[] = [];
  const logger = memoryLogger();
  const waiters = new Set<() => void>();
  const self: Recorder = {
    events,
    logs: logger.lines,
    onEvent(event) {
      events.push(event);
      for (const wake of waiters) wake();
    },
    logger,
    of: (type) => events.filter((event) => event.type === type) as never,
    waitFor(type, count = 1, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = self.of(type);
          if (found.length < count) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`saw ${self.of(type).length} of ${count} "${type}" events within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    finished(runId, timeoutMs = 15_000) {
      const end = () =>
        events.find((event): event is Extract<HookrunEvent, { type: "run.succeeded" | "run.failed" }> => (event.type === "run.succeeded" || event.type === "run.failed") && event.runId === runId);
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = end();
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`run ${runId} did not finish within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
  return self;
}
