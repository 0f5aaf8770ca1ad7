import { describe, expect, it } from "vitest";
import { HookrunConfigError, memoryRunner, type AgentContext } from "@hookrun/core";
import { bodyOf, contractHooks } from "../../../../test/support/in-process";

const accept = async (hooks: ReturnType<typeof contractHooks>, body = "{}") => {
  const response = await hooks.hooks.handleInboundWebhook(hooks.request({ body }));
  return { status: response.status, runId: response.status === 202 ? bodyOf<{ runId: string }>(response).runId : undefined, response };
};

/** A gate an agent can wait on; `open()` lets every waiting agent finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("memoryRunner", () => {
  it("answers 202 before the agent's first line runs", async () => {
    const order: string[] = [];
    const t = contractHooks({ agent: () => void order.push("agent") });
    await accept(t);
    order.push("answered");
    await tick();
    await tick();
    expect(order).toEqual(["answered", "agent"]);
  });

  it("gives the agent its context: runId of the 202, attempt, receivedAt, deliveryId, signal, logger", async () => {
    let seen: AgentContext | undefined;
    const t = contractHooks({
      agent: (_envelope, ctx) => {
        seen = ctx;
        ctx.logger.info({ step: 1 }, "agent says hi");
      },
    });
    const before = Date.now();
    const response = await t.hooks.handleInboundWebhook(t.request({ headers: { ...t.request().headers, "x-github-delivery": "gh-1" } }));
    const { runId } = bodyOf<{ runId: string }>(response);
    await t.hooks.close();
    expect(seen).toMatchObject({ runId, attempt: 1, deliveryId: "gh-1" });
    expect(seen!.receivedAt).toBeInstanceOf(Date);
    expect(seen!.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(seen!.signal).toBeInstanceOf(AbortSignal);
    expect(seen!.signal.aborted).toBe(false);
    expect(t.logger.lines.find((line) => line.message === "agent says hi")?.fields).toEqual({ runId, webhookId: "contract", step: 1 });
  });

  it("runs at most `concurrency` agents at once and the rest in order", async () => {
    const g = gate();
    let running = 0;
    let peak = 0;
    const order: unknown[] = [];
    const t = contractHooks(
      {
        agent: async (envelope) => {
          running++;
          peak = Math.max(peak, running);
          order.push(envelope.payload);
          await g.opened;
          running--;
        },
      },
      { runner: memoryRunner({ concurrency: 2 }) },
    );
    for (let i = 0; i < 6; i++) expect((await accept(t, String(i))).status).toBe(202);
    await tick();
    expect(running).toBe(2);
    g.open();
    await t.hooks.close();
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("logs a throwing or rejecting agent as run.failed and keeps running others", async () => {
    let calls = 0;
    const t = contractHooks({
      agent: (envelope) => {
        calls++;
        if (envelope.payload === "sync") throw new Error("sync failure");
        if (envelope.payload === "async") return Promise.reject(new Error("async failure"));
        if (envelope.payload === "string") throw "a string";
        return undefined;
      },
    }, { runner: memoryRunner({ concurrency: 1, attempts: 1 }) });
    for (const payload of ['"sync"', '"async"', '"string"', '"fine"']) expect((await accept(t, payload)).status).toBe(202);
    await t.hooks.close();
    expect(calls).toBe(4);
    const outcomes = t.events.filter((event) => event.type === "run.failed" || event.type === "run.succeeded");
    expect(outcomes.map((event) => [event.type, "error" in event ? event.error : null])).toEqual([
      ["run.failed", "sync failure"],
      ["run.failed", "async failure"],
      ["run.failed", "a string"],
      ["run.succeeded", null],
    ]);
    expect(t.logger.lines.filter((line) => line.level === "error" && line.message === "run failed on its last attempt; dead-lettered")).toHaveLength(3);
  });

  it("emits run.started and run.succeeded with the run's id", async () => {
    const t = contractHooks({ agent: async () => undefined });
    const { runId } = await accept(t);
    await t.hooks.close();
    const runEvents = t.events.filter((event) => event.type.startsWith("run."));
    expect(runEvents).toEqual([
      { type: "run.started", webhookId: "contract", runId, attempt: 1 },
      { type: "run.succeeded", webhookId: "contract", runId, attempt: 1, durationMs: expect.any(Number) },
    ]);
  });

  it("answers 429 queue_full with Retry-After when the queue is full", async () => {
    const g = gate();
    const t = contractHooks({ agent: () => g.opened }, { runner: memoryRunner({ concurrency: 1, maxQueued: 2 }) });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await accept(t)).status);
    const full = await accept(t);
    expect(statuses).toEqual([202, 202, 202]);
    expect(full.status).toBe(429);
    expect(full.response.headers["retry-after"]).toBe("1");
    expect(bodyOf(full.response).code).toBe("queue_full");
    g.open();
    await t.hooks.close();
  });

  it("close() answers new requests 503 shutting_down and resolves after running and queued agents finish", async () => {
    const g = gate();
    const finished: unknown[] = [];
    const t = contractHooks(
      {
        agent: async (envelope) => {
          await g.opened;
          finished.push(envelope.payload);
        },
      },
      { runner: memoryRunner({ concurrency: 1 }) },
    );
    await accept(t, "1");
    await accept(t, "2");
    await tick();
    let closed = false;
    const closing = t.hooks.close().then(() => (closed = true));
    const refused = await accept(t, "3");
    expect(refused.status).toBe(503);
    expect(bodyOf(refused.response).code).toBe("shutting_down");
    await tick();
    expect(closed).toBe(false);
    g.open();
    await closing;
    expect(finished).toEqual([1, 2]);
  });

  it("close({ timeoutMs }) aborts the signal of agents still running", async () => {
    let signal: AbortSignal | undefined;
    const t = contractHooks({
      agent: (_envelope, ctx) => {
        signal = ctx.signal;
        return new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
    await accept(t);
    await tick();
    await t.hooks.close({ timeoutMs: 20 });
    expect(signal?.aborted).toBe(true);
  });

  it("validates its options at creation", () => {
    expect(() => memoryRunner({ concurrency: 0 })).toThrow(HookrunConfigError);
    expect(() => memoryRunner({ maxQueued: -1 })).toThrow(/memoryRunner\.maxQueued/);
  });
});

describe("memoryRunner delivery ids (the remembered window)", () => {
  it("answers a repeated delivery id with its first runId while it is among the last maxDeliveryIds remembered, and starts a new run after", async () => {
    const fc = (await import("fast-check")).default;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        // Few distinct ids (some long, some not ASCII): repeats, evictions and hash-table wrap-around all happen.
        fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "é-1", "delivery-".repeat(20), "ß", "x y"), { maxLength: 80 }),
        async (maxDeliveryIds, deliveries) => {
          const t = contractHooks({ agent: () => undefined }, { runner: memoryRunner({ maxDeliveryIds, maxQueued: 10_000 }) });
          const remembered: Array<{ id: string; runId: string }> = [];
          for (const id of deliveries) {
            const response = await t.hooks.handleInboundWebhook(t.request({ headers: { ...t.request().headers, "idempotency-key": id } }));
            expect(response.status).toBe(202);
            const { runId } = bodyOf<{ runId: string }>(response);
            const known = remembered.find((entry) => entry.id === id);
            if (known) {
              expect(runId).toBe(known.runId);
              expect(response.headers["idempotent-replayed"]).toBe("true");
            } else {
              expect(response.headers["idempotent-replayed"]).toBeUndefined();
              remembered.push({ id, runId });
              if (remembered.length > maxDeliveryIds) remembered.shift();
            }
          }
          await t.hooks.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});
