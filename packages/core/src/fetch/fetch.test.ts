import { describe, expect, it } from "vitest";
import { handleFetchRequest, toFetchResponse } from "@hookrun/core/fetch";
import { contractHooks, CONTRACT_TOKEN } from "../../../../test/support/in-process";

const url = "http://localhost/inbound-webhooks/contract";
const init = (body: BodyInit, extra: Record<string, string> = {}): RequestInit & { duplex: "half" } => ({
  method: "POST",
  headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, ...extra },
  body,
  duplex: "half",
});

describe("@hookrun/core/fetch", () => {
  it("serves a Fetch Request and answers a Fetch Response", async () => {
    const { hooks, runs } = contractHooks();
    const response = await handleFetchRequest(hooks, new Request(url, init('{"via":"fetch"}')), "contract");
    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toBe("application/json");
    const { runId } = (await response.json()) as { runId: string };
    expect((await runs.waitFor(runId)).envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: "contract", payload: { via: "fetch" } });
  });

  it("refuses an over-limit streamed body with 413 and cancels the stream", async () => {
    const { hooks } = contractHooks();
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65_536;
        controller.enqueue(new Uint8Array(65_536).fill(0x20));
      },
      cancel() {
        cancelled = true;
      },
    });
    const response = await handleFetchRequest(hooks, new Request(url, init(body)), "contract");
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe("payload_too_large");
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(2 * 1_048_576);
  });

  it("answers a non-POST with 405 and Allow: POST", async () => {
    const { hooks } = contractHooks();
    const response = await handleFetchRequest(hooks, new Request(url), "contract");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("toFetchResponse keeps status, headers and body", async () => {
    const response = toFetchResponse({ status: 429, headers: { "retry-after": "1", "content-type": "application/problem+json" }, body: '{"code":"queue_full"}' });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.text()).toBe('{"code":"queue_full"}');
  });

  it("reads a body of declared length whole, and refuses one that stops short of it", async () => {
    const { hooks, runs } = contractHooks();
    const whole = await handleFetchRequest(hooks, new Request(url, init('{"declared":true}', { "content-length": "17" })), "contract");
    expect(whole.status).toBe(202);
    const { runId } = (await whole.json()) as { runId: string };
    expect((await runs.waitFor(runId)).envelope.payload).toEqual({ declared: true });
    const short = await handleFetchRequest(hooks, new Request(url, init('{"a":1}', { "content-length": "70" })), "contract");
    expect(short.status).toBe(400);
    expect(((await short.json()) as { code: string }).code).toBe("invalid_json");
  });

  it("answers 408 request_timeout when a body of declared length stalls", async () => {
    const { hooks } = contractHooks({}, { bodyTimeoutMs: 150 });
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"stalled":'));
      },
    });
    const response = await handleFetchRequest(hooks, new Request(url, init(stalled, { "content-length": "100" })), "contract");
    expect(response.status).toBe(408);
    expect(((await response.json()) as { code: string }).code).toBe("request_timeout");
  });

  it("answers the body-parser error when the Request body was already read", async () => {
    const { hooks } = contractHooks();
    const request = new Request(url, init("{}", { "content-length": "2" }));
    await request.text();
    const response = await handleFetchRequest(hooks, request, "contract");
    expect(response.status).toBe(500);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/Mount hookrun before any body parser/);
  });
});
