import { AsyncLocalStorage } from "node:async_hooks";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, memoryRunner, type InboundWebhooks, type Runner } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { listen, memoryLogger } from "../../../../test/support/in-process";

const TOKEN = "same-turn-token";
let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
});

/** Serves `hooks`; `onRequest` sees each request right after hookrun took it. */
async function serve(hooks: InboundWebhooks, onRequest: (req: IncomingMessage, res: ServerResponse) => void = () => {}) {
  const server = createServer((req, res) => {
    void handleNodeRequest(hooks, req, res, "same");
    onRequest(req, res);
  });
  const { port, close } = await listen(server);
  closeServer = close;
  return (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`http://127.0.0.1:${port}/inbound-webhooks/same`, { method: "POST", body, headers });
}

describe("handleNodeRequest answers in the turn the body ends", () => {
  it("with memoryRunner, the 202 is written inside the body's 'end' event, like hand-written node:http code", async () => {
    const hooks = createInboundWebhooks({ webhooks: [{ id: "same", auth: bearer(TOKEN), agent: () => {} }], logger: memoryLogger() });
    const seen: Array<{ headersSent: boolean; writableEnded: boolean }> = [];
    // Registered after hookrun's own 'end' listener, so it runs right after it, in the same event.
    const post = await serve(hooks, (req, res) => req.on("end", () => seen.push({ headersSent: res.headersSent, writableEnded: res.writableEnded })));
    const res = await post(JSON.stringify({ n: 1 }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "accepted", inboundWebhookId: "same" });
    expect(seen).toEqual([{ headersSent: true, writableEnded: true }]);
    await hooks.close();
  });

  it("with memoryRunner, the agent starts right after the 202 is written, before the event loop's next turn", async () => {
    const order: string[] = [];
    const hooks = createInboundWebhooks({
      webhooks: [{ id: "same", auth: bearer(TOKEN), agent: (envelope) => void order.push(`agent ${JSON.stringify(envelope.payload)}`) }],
      logger: memoryLogger(),
    });
    const post = await serve(hooks, (req, res) => {
      const end = res.end.bind(res);
      res.end = ((...args: Parameters<typeof res.end>) => {
        order.push(`end ${res.statusCode}`);
        return end(...args);
      }) as typeof res.end;
      // Scheduled before hookrun sees the body's end: a run put off to a later turn starts after it.
      req.prependListener("end", () => setImmediate(() => order.push("next turn")));
      req.on("end", () => order.push(`'end' done: headersSent ${res.headersSent}`));
    });
    const res = await post(JSON.stringify({ n: 2 }));
    expect(res.status).toBe(202);
    await hooks.close();
    expect(order).toEqual(["end 202", "'end' done: headersSent true", 'agent {"n":2}', "next turn"]);
  });

  it("through handleInboundWebhook (the answer goes out later), the agent still waits for the next turn", async () => {
    const order: string[] = [];
    const hooks = createInboundWebhooks({ webhooks: [{ id: "same", auth: bearer(TOKEN), agent: () => void order.push("agent") }], logger: memoryLogger() });
    // Scheduled first: a run put off to a later turn starts after it.
    setImmediate(() => order.push("next turn"));
    const answered = hooks.handleInboundWebhook({ method: "POST", webhookId: "same", headers: { authorization: `Bearer ${TOKEN}` }, body: "{}" });
    const response = await answered;
    order.push(`answered ${response.status}`);
    await hooks.close();
    expect(order).toEqual(["answered 202", "next turn", "agent"]);
  });

  it("a runner without enqueueNow is awaited, and the answer is the same", async () => {
    const inner = memoryRunner();
    const jobs: string[] = [];
    // A runner that must wait (as a Redis one does): only the promise form.
    const waiting: Runner = {
      name: "waiting",
      roles: ["both"],
      start: (host) => inner.start(host),
      enqueue: async (job, options) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        jobs.push(job.runId);
        return inner.enqueue(job, options);
      },
      deadLetters: (options) => inner.deadLetters(options),
      close: (options) => inner.close(options),
    };
    const hooks = createInboundWebhooks({ webhooks: [{ id: "same", auth: bearer(TOKEN), agent: () => {} }], runner: waiting, logger: memoryLogger() });
    const seen: boolean[] = [];
    const post = await serve(hooks, (req, res) => req.on("end", () => seen.push(res.headersSent)));
    const res = await post("{}");
    const body = (await res.json()) as { runId: string };
    expect(res.status).toBe(202);
    expect(jobs).toEqual([body.runId]);
    expect(seen).toEqual([false]);
    await hooks.close();
  });

  it("keeps the request's async context through the body: body verifiers, the filter and onEvent see the caller's AsyncLocalStorage", async () => {
    const als = new AsyncLocalStorage<{ requestId: string }>();
    const seen: Record<string, string | undefined> = {};
    const hooks = createInboundWebhooks({
      webhooks: [
        {
          id: "same",
          auth: (_request, rawBody) => {
            seen.verifier = als.getStore()?.requestId;
            return rawBody.byteLength > 0;
          },
          filter: () => {
            seen.filter = als.getStore()?.requestId;
            return true;
          },
          agent: () => {},
        },
      ],
      onEvent: (event) => {
        if (event.type === "request.accepted") seen.event = als.getStore()?.requestId;
      },
      logger: memoryLogger(),
    });
    const server = createServer((req, res) => als.run({ requestId: "req-1" }, () => void handleNodeRequest(hooks, req, res, "same")));
    const { port, close } = await listen(server);
    closeServer = close;
    const res = await fetch(`http://127.0.0.1:${port}/inbound-webhooks/same`, { method: "POST", body: '{"a":1}' });
    expect(res.status).toBe(202);
    expect(seen).toEqual({ verifier: "req-1", filter: "req-1", event: "req-1" });
    await hooks.close();
  });
});
