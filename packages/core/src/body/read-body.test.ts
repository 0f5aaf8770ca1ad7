import { describe, expect, it } from "vitest";
import { bodyOf, contractHooks, CONTRACT_TOKEN } from "../../../../test/support/in-process";

const LIMIT = 1_048_576;
const auth = { authorization: `Bearer ${CONTRACT_TOKEN}` };

/** `{"pad":"xxx"}` of exactly `size` bytes. */
const jsonOfSize = (size: number) => `{"pad":"${"x".repeat(size - 10)}"}`;

/** An endless-looking source that counts what was pulled from it. */
function countingSource(total: number, chunkSize = 64 * 1024) {
  const state = { pulled: 0, returned: false };
  const piece = new Uint8Array(chunkSize).fill(0x20);
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        if (state.pulled >= total) return { done: true, value: undefined };
        state.pulled += piece.byteLength;
        return { done: false, value: piece };
      },
      return: async () => {
        state.returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { iterable, state };
}

function chunksOf(text: string, size: number): Uint8Array[] {
  const bytes = Buffer.from(text);
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}

async function* iterate(chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
}

const stream = (chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });

describe("body limit", () => {
  const exact = jsonOfSize(LIMIT);
  const over = jsonOfSize(LIMIT + 1);
  const forms: Array<[string, (text: string) => unknown]> = [
    ["string", (text) => text],
    ["Uint8Array", (text) => new Uint8Array(Buffer.from(text))],
    ["Buffer", (text) => Buffer.from(text)],
    ["async iterable of 1000-byte chunks", (text) => iterate(chunksOf(text, 1000))],
    ["ReadableStream of 64 KiB chunks", (text) => stream(chunksOf(text, 65_536))],
  ];

  it.each(forms)("accepts exactly 1,048,576 bytes and refuses 1,048,577 as a %s", async (_form, toBody) => {
    const { hooks, request, runs } = contractHooks();
    const accepted = await hooks.handleInboundWebhook(request({ body: toBody(exact) as never }));
    expect(accepted.status).toBe(202);
    expect((await runs.waitFor(bodyOf<{ runId: string }>(accepted).runId)).envelope.payload).toEqual({ pad: "x".repeat(LIMIT - 10) });
    const refused = await hooks.handleInboundWebhook(request({ body: toBody(over) as never }));
    expect(refused.status).toBe(413);
    expect(bodyOf(refused)).toMatchObject({ code: "payload_too_large", detail: "The request body must be at most 1048576 bytes." });
  });

  it("stops reading a 100 MB stream at the first chunk over the limit", async () => {
    const { hooks, request } = contractHooks();
    const source = countingSource(100 * 1024 * 1024);
    const response = await hooks.handleInboundWebhook(request({ body: source.iterable }));
    expect(response.status).toBe(413);
    expect(source.state.pulled).toBeLessThanOrEqual(LIMIT + 64 * 1024);
    expect(source.state.pulled).toBeGreaterThan(LIMIT);
    expect(source.state.returned).toBe(true);
  });

  it("cancels a ReadableStream that goes over the limit", async () => {
    const { hooks, request } = contractHooks();
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65_536;
        controller.enqueue(new Uint8Array(65_536));
      },
      cancel() {
        cancelled = true;
      },
    });
    expect((await hooks.handleInboundWebhook(request({ body }))).status).toBe(413);
    expect(cancelled).toBe(true);
    // The stream may have queued one chunk ahead of the reader (highWaterMark 1).
    expect(pulled).toBeLessThanOrEqual(LIMIT + 2 * 65_536);
  });

  it("refuses a declared Content-Length over the limit without reading a byte", async () => {
    const { hooks, request } = contractHooks();
    const source = countingSource(10);
    const response = await hooks.handleInboundWebhook(request({ headers: { ...auth, "content-length": String(LIMIT + 1) }, body: source.iterable }));
    expect(response.status).toBe(413);
    expect(source.state.pulled).toBe(0);
  });

  it.each(["-1", "1e3", "0x10", "12 ", "1,2", "99999999999999999999"])("refuses Content-Length %j before reading", async (declared) => {
    const { hooks, request } = contractHooks();
    const source = countingSource(10);
    const response = await hooks.handleInboundWebhook(request({ headers: { ...auth, "content-length": declared }, body: source.iterable }));
    expect(response.status).toBe(413);
    expect(bodyOf(response).code).toBe("payload_too_large");
    expect(source.state.pulled).toBe(0);
  });

  it("counts real bytes when the declared length is smaller than the body", async () => {
    const { hooks, request } = contractHooks();
    const response = await hooks.handleInboundWebhook(request({ headers: { ...auth, "content-length": "10" }, body: iterate(chunksOf(over, 4096)) }));
    expect(response.status).toBe(413);
  });

  it("applies a webhook's own maxBodyBytes over the global one", async () => {
    const { hooks, request } = contractHooks({ maxBodyBytes: 16 }, { maxBodyBytes: 8 });
    expect((await hooks.handleInboundWebhook(request({ body: jsonOfSize(16) }))).status).toBe(202);
    expect((await hooks.handleInboundWebhook(request({ body: jsonOfSize(17) }))).status).toBe(413);
  });

  it("answers 400 when a stream fails half-way", async () => {
    const { hooks, request } = contractHooks();
    async function* broken(): AsyncIterable<Uint8Array> {
      yield Buffer.from('{"a":');
      throw new Error("socket hang up");
    }
    const response = await hooks.handleInboundWebhook(request({ body: broken() }));
    expect(response.status).toBe(400);
    expect(bodyOf(response)).toMatchObject({ code: "invalid_json", detail: expect.stringMatching(/ended before it was complete/) });
  });
});

describe("JSON body", () => {
  it.each([
    ["an empty body", "", /empty/],
    ["null body", null, /empty/],
    ["whitespace", "  \n", /must be valid JSON/],
    ["a truncated object", '{"a":1', /must be valid JSON/],
    ["a trailing comma", '{"a":1,}', /must be valid JSON/],
    ["two documents", "{} {}", /must be valid JSON/],
    ["invalid UTF-8", Buffer.from([0x22, 0xc3, 0x28, 0x22]), /UTF-8/],
    ["a lone surrogate encoded in UTF-8", Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), /UTF-8/],
    ["UTF-16", Buffer.from('{"a":1}', "utf16le"), /UTF-8|JSON/],
  ])("refuses %s with 400 invalid_json, never quoting the body", async (_label, body, detail) => {
    const { hooks, request } = contractHooks();
    const response = await hooks.handleInboundWebhook(request({ body: body as never }));
    expect(response.status).toBe(400);
    const problem = bodyOf<{ code: string; detail: string }>(response);
    expect(problem.code).toBe("invalid_json");
    expect(problem.detail).toMatch(detail);
    expect(problem.detail).not.toMatch(/Unexpected|position/);
  });

  it("strips one leading BOM and keeps the rest of the text as sent", async () => {
    const { hooks, request, runs } = contractHooks();
    const response = await hooks.handleInboundWebhook(request({ body: Buffer.from('\uFEFF{"text":"\uFEFF kept"}') }));
    expect((await runs.waitFor(bodyOf<{ runId: string }>(response).runId)).envelope.payload).toEqual({ text: "\uFEFF kept" });
  });

  it("decodes a body at the limit exactly, ASCII or not (ASCII takes a faster decode)", async () => {
    const { hooks, request, runs } = contractHooks();
    const ascii = jsonOfSize(LIMIT);
    // The same size with one character of every UTF-8 length (2, 3 and 4 bytes): 10 bytes more.
    const mixed = `{"pad":"${"x".repeat(LIMIT - 20)}é€😀"}`;
    for (const text of [ascii, mixed]) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(LIMIT);
      const response = await hooks.handleInboundWebhook(request({ body: Buffer.from(text) }));
      expect(response.status).toBe(202);
      expect((await runs.waitFor(bodyOf<{ runId: string }>(response).runId)).envelope.payload).toEqual(JSON.parse(text));
    }
    // A Latin-1 byte that is not UTF-8 is still refused, not read as Latin-1.
    const latin1 = await hooks.handleInboundWebhook(request({ body: Buffer.from('{"a":"caf\xe9"}', "latin1") }));
    expect(bodyOf<{ code: string }>(latin1).code).toBe("invalid_json");
  });

  it("keeps every JSON value type as parsed", async () => {
    const { hooks, request, runs } = contractHooks();
    for (const text of ["null", "0", "-1.5e3", "true", '"s"', "[]", '{"nested":{"a":[{"b":null}]}}']) {
      const response = await hooks.handleInboundWebhook(request({ body: text }));
      expect((await runs.waitFor(bodyOf<{ runId: string }>(response).runId)).envelope.payload).toEqual(JSON.parse(text));
    }
  });
});
