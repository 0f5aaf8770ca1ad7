import { describeError } from "../logger";
import { raceTimeout } from "../runner/execute-run";
import type { Runner, RunnerHealth } from "../runner/runner";
import type { Logger } from "../types";

/** What `hooks.health()` answers. */
export interface HookrunHealth {
  /** `true` when this instance accepts webhooks: not closing, and its runner ok. */
  ready: boolean;
  /** `true` once `close()` was called. */
  closing: boolean;
  /** The runner's own answer (`runner.health()`); `{ ok: true }` for a runner without one. */
  runner: RunnerHealth;
}

/** How long a health check waits for the runner's answer: a probe must never hang. */
export const HEALTH_TIMEOUT_MS = 1_000;

/** `hooks.health()`: the runner's answer, bounded in time; a throw or no answer within 1 s is "not ok". */
export async function checkHealth(runner: Runner, closing: boolean, logger: Logger): Promise<HookrunHealth> {
  const health = await askRunner(runner, logger);
  return { ready: !closing && health.ok, closing, runner: health };
}

async function askRunner(runner: Runner, logger: Logger): Promise<RunnerHealth> {
  if (!runner.health) return { ok: true };
  let answer: RunnerHealth | undefined;
  try {
    const asked = Promise.resolve(runner.health()).then((value) => void (answer = value));
    if ((await raceTimeout(asked, HEALTH_TIMEOUT_MS)) === "timeout") {
      return { ok: false, detail: `runner "${runner.name}" did not answer its health check within ${HEALTH_TIMEOUT_MS} ms` };
    }
  } catch (error) {
    logger.warn({ runner: runner.name, err: describeError(error) }, "runner health check threw");
    return { ok: false, detail: `runner "${runner.name}" health check failed` };
  }
  // The public shape only: a runner's own extras (bullmq's `state`, `since`) are not part of it.
  return answer!.detail === undefined ? { ok: answer!.ok === true } : { ok: answer!.ok === true, detail: answer!.detail };
}
