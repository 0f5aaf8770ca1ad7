import { describe, expect, it } from "vitest";
import { memoryRunner, type Runner } from "@hookrun/core";
import { contractHooks } from "../../../../test/support/in-process";

/** A memoryRunner whose `health()` answers what the test says. */
function runnerAnswering(health: Runner["health"]): Runner {
  const runner = memoryRunner();
  return Object.assign(Object.create(runner) as Runner, { name: "stand-in", health });
}

describe("hooks.health()", () => {
  it("is ready with the memory runner, and not ready (closing) once close() was called", async () => {
    const { hooks } = contractHooks();
    expect(await hooks.health()).toStrictEqual({ ready: true, closing: false, runner: { ok: true } });
    await hooks.close();
    expect(await hooks.health()).toStrictEqual({ ready: false, closing: true, runner: { ok: false, detail: "closing" } });
  });

  it("is not ready when the runner reports its backend unreachable, and passes its detail on (only ok and detail)", async () => {
    const { hooks } = contractHooks({}, { runner: runnerAnswering(async () => ({ ok: false, state: "down", since: 1, detail: "connect ECONNREFUSED 127.0.0.1:1" }) as never) });
    expect(await hooks.health()).toStrictEqual({ ready: false, closing: false, runner: { ok: false, detail: "connect ECONNREFUSED 127.0.0.1:1" } });
  });

  it("never hangs: a runner that does not answer within 1 s is not ok", async () => {
    const { hooks } = contractHooks({}, { runner: runnerAnswering(() => new Promise(() => {})) });
    const health = await hooks.health();
    expect(health).toMatchObject({ ready: false, closing: false, runner: { ok: false } });
    expect(health.runner.detail).toMatch(/did not answer its health check within 1000 ms/);
  });

  it("counts a runner whose health check throws as not ok, and logs it", async () => {
    const { hooks, logger } = contractHooks({}, { runner: runnerAnswering(() => { throw new Error("boom"); }) });
    expect(await hooks.health()).toStrictEqual({ ready: false, closing: false, runner: { ok: false, detail: 'runner "stand-in" health check failed' } });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: "warn", message: "runner health check threw" }));
  });

  it("counts a runner without health() as ok", async () => {
    const runner = memoryRunner();
    const bare = Object.assign(Object.create(runner) as Runner, { health: undefined });
    const { hooks } = contractHooks({}, { runner: bare });
    expect(await hooks.health()).toStrictEqual({ ready: true, closing: false, runner: { ok: true } });
  });
});
