import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunk, rawExchange, requestHead, type RawResponse } from "./support/raw-http";
import type { RunLog } from "./support/recorder";

/** A server under test: one webhook `webhookId` with bearer `token`, 1 MiB limit, agent runs logged in `runs`. */
export interface ContractServer {
  port: number;
  webhookId: string;
  token: string;
  runs: RunLog;
  /** Node adapters answer early refusals with `Connection: close` and a lingering close. */
  nodeAdapter: boolean;
  close(): Promise<void>;
}

export const LIMIT = 1_048_576;

/** A JSON document of exactly `size` bytes: `{"pad":"   ...   "}`. */
export function jsonOfSize(size: number): string {
  const frame = '{"pad":""}';
  return `{"pad":"${"x".repeat(size - frame.length)}"}`;
}

/**
 * The behaviour every adapter must have, over real HTTP on a real server. Each refusal is followed
 * by a valid request, to show the server keeps serving.
 */
export function describeAdapterContract(name: string, start: () => Promise<ContractServer>): void {
  describe(`${name}: adapter contract`, () => {
    let server: ContractServer;
    let base: string;
    const auth = () => ({ authorization: `Bearer ${server.token}` });

    beforeAll(async () => {
      server = await start();
      base = `http://127.0.0.1:${server.port}/inbound-webhooks/`;
    });
    afterAll(() => server?.close());

    const post = (body: BodyInit, headers: Record<string, string> = auth(), id = server.webhookId) =>
      fetch(base + id, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

    async function expectProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await response.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({ status, code });
      expect(Object.keys(problem).sort()).toEqual(["code", "detail", "status", "title", "type"]);
      return problem;
    }

    async function expectAccepted(response: Response, payload: unknown): Promise<void> {
      expect(response.status).toBe(202);
      expect(response.headers.get("content-type")).toBe("application/json");
      const body = (await response.json()) as { status: string; runId: string; inboundWebhookId: string };
      expect(Object.keys(body)).toEqual(["status", "runId", "inboundWebhookId"]);
      expect(body).toMatchObject({ status: "accepted", inboundWebhookId: server.webhookId });
      expect(body.runId).toMatch(/^[0-9a-f-]{36}$/);
      const run = await server.runs.waitFor(body.runId);
      expect(run.envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: server.webhookId, payload });
      expect(Object.keys(run.envelope)).toEqual(["page", "inboundWebhookId", "payload"]);
    }

    /** The server still accepts a valid webhook after whatever came before. */
    async function stillServes(): Promise<void> {
      await expectAccepted(await post('{"still":"serving"}'), { still: "serving" });
    }

    it("accepts a valid JSON POST with 202 and runs the agent with the exact envelope", async () => {
      const payload = { event: "customer.alert.created", account_external_id: "cus_123", severity: "high", n: [1, 2.5, null, true] };
      await expectAccepted(await post(JSON.stringify(payload)), payload);
    });

    it("accepts any Content-Type, as curl -d sends a form type", async () => {
      await expectAccepted(await post('{"event":"x"}', { ...auth(), "content-type": "application/x-www-form-urlencoded" }), { event: "x" });
    });

    it("accepts any JSON value as the payload, untouched", async () => {
      await expectAccepted(await post('[1,"two",{"3":null}]'), [1, "two", { 3: null }]);
      await expectAccepted(await post('"just a string"'), "just a string");
    });

    it("accepts a body of exactly 1,048,576 bytes and refuses 1,048,577 with 413", async () => {
      const exact = jsonOfSize(LIMIT);
      expect(Buffer.byteLength(exact)).toBe(LIMIT);
      await expectAccepted(await post(exact), JSON.parse(exact));
      await expectProblem(await post(jsonOfSize(LIMIT + 1)), 413, "payload_too_large");
      await stillServes();
    });

    it("tolerates a UTF-8 byte order mark", async () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"bom":"ok","é":"✓"}')]);
      await expectAccepted(await post(body), { bom: "ok", é: "✓" });
    });

    it("keeps a __proto__ key as plain data and pollutes nothing", async () => {
      const response = await post('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
      expect(response.status).toBe(202);
      const { runId } = (await response.json()) as { runId: string };
      const { envelope } = await server.runs.waitFor(runId);
      const payload = envelope.payload as Record<string, unknown>;
      expect(Object.keys(payload)).toEqual(["__proto__", "constructor"]);
      expect(Object.getOwnPropertyDescriptor(payload, "__proto__")?.value).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      it(`answers ${method} with 405 and Allow: POST`, async () => {
        const response = await fetch(base + server.webhookId, { method, headers: auth() });
        expect(response.headers.get("allow")).toBe("POST");
        await expectProblem(response, 405, "method_not_allowed");
        await stillServes();
      });
    }

    it("answers a wrong token, a missing header, another scheme and an unknown id with the same 401", async () => {
      const bodies = new Set<string>();
      for (const response of [
        await post("{}", { authorization: `Bearer ${server.token}x` }),
        await post("{}", {}),
        await post("{}", { authorization: `Basic ${Buffer.from(`u:${server.token}`).toString("base64")}` }),
        await post("{}", auth(), "no-such-webhook"),
      ]) {
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="hookrun"');
        bodies.add(JSON.stringify(await expectProblem(response, 401, "unauthorized")));
      }
      expect(bodies.size).toBe(1);
      expect(server.runs.size).toBeGreaterThan(0);
      await stillServes();
    });

    it("accepts the Bearer scheme name in any case", async () => {
      await expectAccepted(await post('{"case":1}', { authorization: `bearer ${server.token}` }), { case: 1 });
    });

    it("answers invalid JSON and an empty body with 400 invalid_json", async () => {
      const problem = await expectProblem(await post('{"event":'), 400, "invalid_json");
      expect(problem.detail).toMatch(/must be valid JSON/);
      await expectProblem(await post(""), 400, "invalid_json");
      await expectProblem(await post("   "), 400, "invalid_json");
      await stillServes();
    });

    const head = (headers: Record<string, string | number>) =>
      requestHead("POST", `/inbound-webhooks/${server.webhookId}`, { Authorization: `Bearer ${server.token}`, ...headers });

    it("answers invalid UTF-8 with 400 invalid_json (raw socket)", async () => {
      const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
      const response = await rawExchange(server.port, Buffer.concat([Buffer.from(head({ "Content-Length": body.length })), body]));
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ code: "invalid_json", detail: expect.stringMatching(/UTF-8/) });
      await stillServes();
    });

    it("accepts a chunked body (raw socket)", async () => {
      const request = Buffer.concat([Buffer.from(head({ "Transfer-Encoding": "chunked" })), chunk('{"chun'), chunk('ked":true}'), Buffer.from("0\r\n\r\n")]);
      const response = await rawExchange(server.port, request);
      expect(response.status).toBe(202);
      const { runId } = JSON.parse(response.body) as { runId: string };
      expect((await server.runs.waitFor(runId)).envelope.payload).toEqual({ chunked: true });
    });

    /** A 413 read off a raw socket; Node adapters also close the connection, and the server keeps serving. */
    async function expectEarly413(response: RawResponse): Promise<void> {
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ code: "payload_too_large" });
      if (server.nodeAdapter) {
        expect(response.headers.connection).toBe("close");
        await response.closed;
      }
      await stillServes();
    }

    it("refuses a chunked body that goes over the limit with 413 (raw socket)", async () => {
      const piece = Buffer.alloc(256 * 1024, 0x20);
      const chunks = Array.from({ length: 5 }, () => chunk(piece)); // 1.25 MiB, no declared length
      const response = await rawExchange(server.port, Buffer.concat([Buffer.from(head({ "Transfer-Encoding": "chunked" })), ...chunks]));
      await expectEarly413(response);
    });

    it("refuses a declared Content-Length over the limit before reading the body (raw socket)", async () => {
      // Only the head is sent: a server that waited for the body would never answer.
      const response = await rawExchange(server.port, head({ "Content-Length": LIMIT + 1 }));
      await expectEarly413(response);
    });

    it("reads only the declared bytes: a body longer than its Content-Length starts no run (raw socket)", async () => {
      // Declares 10 bytes and sends more: the body is `{"a":"xxxx`, and the rest is not a request either.
      const before = server.runs.size;
      const response = await rawExchange(server.port, head({ "Content-Length": 10 }) + `{"a":"${"x".repeat(2000)}"}`);
      expect(response.status).toBe(400);
      expect(server.runs.size).toBe(before);
      await stillServes();
    });

    it("answers a body shorter than its Content-Length with 400 once the client stops sending (raw socket)", async () => {
      const before = server.runs.size;
      const response = await rawExchange(server.port, head({ "Content-Length": 100 }) + '{"a":1}', { endAfterWrite: true });
      expect(response.status).toBe(400);
      expect(server.runs.size).toBe(before);
      await stillServes();
    });

    it("answers a body cut to its declared length with 400 invalid_json (raw socket)", async () => {
      const response = await rawExchange(server.port, head({ "Content-Length": 10 }) + '{"a":"xxxx');
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ code: "invalid_json" });
      await stillServes();
    });

    it("refuses a 100 MB streamed upload with 413 while the client is still sending (raw socket)", async () => {
      const response = await rawExchange(server.port, head({ "Transfer-Encoding": "chunked" }), {
        keepWriting: { bytes: 100 * 1024 * 1024, chunked: true },
        timeoutMs: 20_000,
      });
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ code: "payload_too_large" });
      await stillServes();
    });
  });
}
