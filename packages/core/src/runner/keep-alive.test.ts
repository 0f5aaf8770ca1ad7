import { describe, expect, it } from "vitest";
import { memoryRunner } from "@hookrun/core";
import { bodyOf, contractHooks } from "../../../../test/support/in-process";

/** A waitUntil that records what it was handed and whether each promise has settled. */
function recordingWaitUntil() {
  const handed: Array<{ settled: boolean; promise: Promise<unknown> }> = [];
  const waitUntil = (promise: Promise<unknown>) => {
    const entry = { settled: false, promise };
    void promise.then(() => (entry.settled = true));
    handed.push(entry);
  };
  return { handed, waitUntil };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("memoryRunner: a request's waitUntil keeps each run alive until it ends", () => {
  it("hands waitUntil one promise per accepted run, settled only once the agent has finished", async () => {
    const release = gate();
    const finished: string[] = [];
    const t = contractHooks({
      agent: async (_envelope, ctx) => {
        await release.opened;
        finished.push(ctx.runId);
      },
    });
    const { handed, waitUntil } = recordingWaitUntil();
    const response = await t.hooks.handleInboundWebhook({ ...t.request(), waitUntil });
    expect(response.status).toBe(202);
    expect(handed).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(handed[0]!.settled).toBe(false);
    release.open();
    await handed[0]!.promise;
    expect(finished).toEqual([bodyOf<{ runId: string }>(response).runId]);
  });

  it("keeps a failing run alive through its retries, until its last attempt", async () => {
    let attempts = 0;
    const t = contractHooks(
      {
        agent: () => {
          attempts++;
          throw new Error("flaky");
        },
      },
      { runner: memoryRunner({ attempts: 3, backoff: { delayMs: 10 } }) },
    );
    const { handed, waitUntil } = recordingWaitUntil();
    expect((await t.hooks.handleInboundWebhook({ ...t.request(), waitUntil })).status).toBe(202);
    await handed[0]!.promise;
    expect(attempts).toBe(3);
    expect((await t.hooks.runner.deadLetters())[0]).toMatchObject({ attempts: 3, error: "flaky" });
  });

  it("hands nothing for a replayed delivery (the first request keeps that run alive) and one promise per fan-out agent", async () => {
    const t = contractHooks({ agent: undefined, agents: { a: () => {}, b: () => {} } } as never);
    const { handed, waitUntil } = recordingWaitUntil();
    const headers = { ...t.request().headers, "idempotency-key": "d-1" };
    expect((await t.hooks.handleInboundWebhook({ ...t.request(), headers, waitUntil })).status).toBe(202);
    expect(handed).toHaveLength(2);
    expect((await t.hooks.handleInboundWebhook({ ...t.request(), headers, waitUntil })).headers["idempotent-replayed"]).toBe("true");
    expect(handed).toHaveLength(2);
    await Promise.all(handed.map((entry) => entry.promise));
  });

  it("settles the promise of a run dropped by a close that timed out", async () => {
    const t = contractHooks({ agent: () => new Promise(() => {}) }, { runner: memoryRunner({ concurrency: 1 }) });
    const { handed, waitUntil } = recordingWaitUntil();
    await t.hooks.handleInboundWebhook({ ...t.request({ body: '{"n":1}' }), waitUntil });
    await t.hooks.handleInboundWebhook({ ...t.request({ body: '{"n":2}' }), waitUntil });
    await t.hooks.close({ timeoutMs: 50 });
    await Promise.all(handed.map((entry) => entry.promise));
    expect(handed.every((entry) => entry.settled)).toBe(true);
  });

  it("logs a waitUntil that throws and still runs the agent", async () => {
    const t = contractHooks();
    const response = await t.hooks.handleInboundWebhook({
      ...t.request(),
      waitUntil: () => {
        throw new Error("after() outside a request scope");
      },
    });
    expect(response.status).toBe(202);
    await t.runs.waitFor(bodyOf<{ runId: string }>(response).runId);
    expect(t.logger.lines).toContainEqual(expect.objectContaining({ level: "warn", message: "waitUntil threw: this run is not kept alive" }));
  });
});
