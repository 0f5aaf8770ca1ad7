import { createHash, createHmac, randomBytes } from "node:crypto";
import { brotliCompressSync, constants, createBrotliCompress, createGzip, deflateSync, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  bearer,
  createInboundWebhooks,
  github,
  hmac,
  type HookrunEvent,
  type InboundRequest,
  type InboundResponse,
  slack,
  standardWebhooks,
  stripe,
  type WebhookDefinition,
} from "@hookrun/core";
import { bodyOf, contractHooks, CONTRACT_TOKEN, memoryLogger } from "../../../../test/support/in-process";
import { RunLog, recordingAgent } from "../../../../test/support/recorder";

const LIMIT = 1_048_576;
const problem = (response: InboundResponse) => bodyOf<{ code: string; detail: string; status: number }>(response);
const expectRefused = (response: InboundResponse, status: number, code: string) => {
  expect({ status: response.status, code: problem(response).code }).toEqual({ status, code });
};
const accepted = async (hooks: ReturnType<typeof contractHooks>, response: InboundResponse) => {
  expect(response.status).toBe(202);
  return (await hooks.runs.waitFor(bodyOf<{ runId: string }>(response).runId)).envelope;
};

/** Streams `total` zero bytes through a compressor and returns the compressed bytes. */
async function compressZeros(compressor: ReturnType<typeof createGzip>, total: number): Promise<Buffer> {
  const out: Buffer[] = [];
  compressor.on("data", (piece: Buffer) => out.push(piece));
  const zeros = Buffer.alloc(16 * 1024 * 1024);
  for (let written = 0; written < total; written += zeros.length) {
    if (!compressor.write(zeros)) await new Promise((resolve) => compressor.once("drain", resolve));
  }
  compressor.end();
  await new Promise((resolve) => compressor.once("end", resolve));
  return Buffer.concat(out);
}

const GIB = 1024 ** 3;
let gzipBomb: Buffer; // gzip(gzip(1 GiB of zeros)), sent as `Content-Encoding: gzip, gzip`
let brotliBomb: Buffer; // br(1 GiB of zeros)

beforeAll(async () => {
  gzipBomb = gzipSync(await compressZeros(createGzip({ level: 9 }), GIB), { level: 9 });
  brotliBomb = await compressZeros(
    createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: GIB } }) as never,
    GIB,
  );
}, 60_000);

describe("Content-Encoding", () => {
  const payload = { event: "deploy", items: Array.from({ length: 50 }, (_, index) => ({ index, name: `item-${index}` })) };
  const text = JSON.stringify(payload);

  it.each([
    ["gzip", gzipSync(text)],
    ["x-gzip", gzipSync(text)],
    ["deflate", deflateSync(text)],
    ["br", brotliCompressSync(text)],
    ["GZIP", gzipSync(text)],
    ["gzip, br", brotliCompressSync(gzipSync(text))],
    ["identity", Buffer.from(text)],
  ])("decodes %s and hands the agent the decoded payload", async (encoding, body) => {
    const hooks = contractHooks();
    const envelope = await accepted(hooks, await hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-encoding": encoding }, body })));
    expect(envelope).toEqual({ page: "inbound_webhook", inboundWebhookId: "contract", payload });
  });

  it.each(["compress", "zstd", "gzip, gzip, gzip", "gzip;q=1", ""])("answers 415 unsupported_encoding for %j before reading the body", async (encoding) => {
    const hooks = contractHooks();
    let pulled = 0;
    const body = (async function* () {
      pulled++;
      yield gzipSync(text);
    })();
    expectRefused(await hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-encoding": encoding }, body })), 415, "unsupported_encoding");
    expect(pulled).toBe(0);
  });

  it("applies maxBodyBytes to the decoded size: exactly the limit passes, one byte more is 413", async () => {
    const hooks = contractHooks();
    const ofSize = (size: number) => `{"pad":"${" ".repeat(size - 10)}"}`;
    const send = (size: number) =>
      hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-encoding": "gzip" }, body: gzipSync(ofSize(size)) }));
    expect((await send(LIMIT)).status).toBe(202);
    expectRefused(await send(LIMIT + 1), 413, "payload_too_large");
  });

  it.each([
    ["gzip, gzip", () => gzipBomb],
    ["br", () => brotliBomb],
  ])("answers a %s bomb of a few KB that inflates to 1 GiB with 413", async (encoding, bomb) => {
    expect(bomb().byteLength).toBeLessThan(10 * 1024);
    const hooks = contractHooks();
    const response = await hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-encoding": encoding }, body: bomb() }));
    expectRefused(response, 413, "payload_too_large");
    expect(problem(response).detail).toBe(`The decoded request body must be at most ${LIMIT} bytes.`);
  });

  it("answers 400 invalid_json for corrupt or truncated compressed data", async () => {
    const hooks = contractHooks();
    const whole = gzipSync(text);
    for (const body of [Buffer.from("not gzip at all"), whole.subarray(0, whole.length - 9)]) {
      const response = await hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-encoding": "gzip" }, body }));
      expectRefused(response, 400, "invalid_json");
      expect(problem(response).detail).toMatch(/not valid gzip data/);
    }
  });

  it("verifies signatures over the bytes as sent, not the decoded ones", async () => {
    const runs = new RunLog();
    const hooks = createInboundWebhooks({ webhooks: [{ id: "gh", auth: github({ secret: "s3cr3t" }), agent: recordingAgent(runs) }], logger: memoryLogger() });
    const sent = gzipSync(text);
    const send = (signed: Uint8Array | string) =>
      hooks.handleInboundWebhook({
        method: "POST",
        webhookId: "gh",
        headers: { "content-encoding": "gzip", "x-hub-signature-256": `sha256=${createHmac("sha256", "s3cr3t").update(signed).digest("hex")}` },
        body: sent,
      });
    const ok = await send(sent);
    expect(ok.status).toBe(202);
    expect((await runs.waitFor(bodyOf<{ runId: string }>(ok).runId)).envelope.payload).toEqual(payload);
    expectRefused(await send(text), 401, "unauthorized");
  });
});

describe("body timeout", () => {
  it("answers 408 request_timeout when an async-iterable body stalls, and stops pulling from it", async () => {
    const hooks = contractHooks({}, { bodyTimeoutMs: 100 });
    let returned = false;
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        let sent = false;
        return {
          next: () => (sent ? new Promise<never>(() => {}) : ((sent = true), Promise.resolve({ done: false, value: Buffer.from('{"a":') }))),
          return: async () => ((returned = true), { done: true, value: undefined }),
        };
      },
    };
    const response = await hooks.hooks.handleInboundWebhook(hooks.request({ body: stalled }));
    expectRefused(response, 408, "request_timeout");
    expect(problem(response).detail).toBe("The request body was not received within 100 ms.");
    expect(returned).toBe(true);
  });

  it("answers 408 for a stalled ReadableStream and cancels it", async () => {
    const hooks = contractHooks({}, { bodyTimeoutMs: 100 });
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(Buffer.from("[1,")),
      cancel: () => void (cancelled = true),
    });
    expectRefused(await hooks.hooks.handleInboundWebhook(hooks.request({ body })), 408, "request_timeout");
    expect(cancelled).toBe(true);
  });

  it("defaults to 30 s and refuses a bad bodyTimeoutMs at creation", () => {
    expect(() => createInboundWebhooks({ webhooks: [], bodyTimeoutMs: 0 })).toThrow(/options\.bodyTimeoutMs/);
    expect(() => createInboundWebhooks({ webhooks: [], maxDepth: -1 })).toThrow(/options\.maxDepth/);
  });
});

describe("JSON nesting depth", () => {
  const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it("accepts 128 levels and refuses 129 with a clear detail", async () => {
    const hooks = contractHooks();
    const envelope = await accepted(hooks, await hooks.hooks.handleInboundWebhook(hooks.request({ body: nested(128) })));
    expect(envelope.payload).toEqual(JSON.parse(nested(128)));
    const response = await hooks.hooks.handleInboundWebhook(hooks.request({ body: nested(129) }));
    expectRefused(response, 400, "invalid_json");
    expect(problem(response).detail).toBe("The JSON body is nested more than 128 levels deep (objects and arrays within each other).");
  });

  it("refuses 400,000 levels without a stack overflow", async () => {
    const hooks = contractHooks();
    const body = `${"[".repeat(200_000)}${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}${"]".repeat(200_000)}`;
    expectRefused(await hooks.hooks.handleInboundWebhook(hooks.request({ body })), 400, "invalid_json");
  });

  it("does not count brackets inside strings, escaped quotes included", async () => {
    const hooks = contractHooks({}, { maxDepth: 2 });
    const payload = { text: `\\"[[[[{{{{ "${"[".repeat(300)}`, list: [1, 2] };
    const envelope = await accepted(hooks, await hooks.hooks.handleInboundWebhook(hooks.request({ body: JSON.stringify(payload) })));
    expect(envelope.payload).toEqual(payload);
    expectRefused(await hooks.hooks.handleInboundWebhook(hooks.request({ body: JSON.stringify({ a: [[1]], pad: " ".repeat(10) }) })), 400, "invalid_json");
  });
});

describe("Content-Length that disagrees with the bytes", () => {
  it.each([
    ["shorter than declared", '{"a":1}', "20", /ended before it was complete/],
    ["longer than declared", '{"a":1}', "3", /longer than its Content-Length/],
  ])("is refused with 400 when the body is %s", async (_label, body, length, detail) => {
    const hooks = contractHooks();
    const response = await hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-length": length }, body: Buffer.from(body) }));
    expectRefused(response, 400, "invalid_json");
    expect(problem(response).detail).toMatch(detail);
    expect(hooks.runs.size).toBe(0);
  });

  it("accepts a body exactly as long as declared, streamed in pieces", async () => {
    const hooks = contractHooks();
    const body = (async function* () {
      yield Buffer.from('{"a"');
      yield Buffer.from(":1}");
    })();
    const envelope = await accepted(hooks, await hooks.hooks.handleInboundWebhook(hooks.request({ headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, "content-length": "7" }, body })));
    expect(envelope.payload).toEqual({ a: 1 });
  });
});

describe("prototype keys in payloads", () => {
  it("reach the agent as plain own data and pollute nothing", async () => {
    const hooks = contractHooks();
    const body = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"nested":[{"__proto__":{"polluted":"yes"}}]}';
    const envelope = await accepted(hooks, await hooks.hooks.handleInboundWebhook(hooks.request({ body })));
    const payload = envelope.payload as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(["__proto__", "constructor", "prototype", "nested"]);
    expect(Object.getOwnPropertyDescriptor(payload, "__proto__")?.value).toEqual({ polluted: "yes" });
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect((Object.prototype as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(envelope)).toEqual(["page", "inboundWebhookId", "payload"]);
    expect(JSON.stringify(envelope.payload)).toBe(body);
  });
});

describe("one 401 for every kind of failed credential", () => {
  it("answers a bad signature exactly like a bad token and an unknown webhook id", async () => {
    const agent = () => undefined;
    const hooks = createInboundWebhooks({
      webhooks: [
        { id: "token", auth: bearer("right-token"), agent },
        { id: "signed", auth: github({ secret: "right-secret" }), agent },
      ],
      logger: memoryLogger(),
    });
    const send = (webhookId: string, headers: Record<string, string>) => hooks.handleInboundWebhook({ method: "POST", webhookId, headers, body: "{}" });
    const badToken = await send("token", { authorization: "Bearer wrong-token" });
    const badSignature = await send("signed", { "x-hub-signature-256": `sha256=${createHmac("sha256", "wrong").update("{}").digest("hex")}` });
    const noSignature = await send("signed", {});
    const unknown = await send("nope", { authorization: "Bearer right-token" });
    expectRefused(badToken, 401, "unauthorized");
    expect(badToken.headers["www-authenticate"]).toBe('Bearer realm="hookrun"');
    for (const response of [badSignature, noSignature, unknown]) expect(response).toEqual(badToken);
  });
});

describe("custom verifier functions in auth", () => {
  it("runs (request, rawBody) => boolean | Promise<boolean> over the raw bytes; false or a throw is the same 401", async () => {
    const runs = new RunLog();
    const seen: Array<{ webhookId: string; raw: string }> = [];
    const check = async (request: { webhookId: string; headers: unknown }, rawBody: Uint8Array) => {
      seen.push({ webhookId: request.webhookId, raw: Buffer.from(rawBody).toString("latin1") });
      const key = (request.headers as Record<string, string>)["x-key"];
      if (key === "throw") throw new Error("custom check exploded");
      return key === "open-sesame";
    };
    const hooks = createInboundWebhooks({ webhooks: [{ id: "custom", auth: check, agent: recordingAgent(runs) }], logger: memoryLogger() });
    const send = (key: string) => hooks.handleInboundWebhook({ method: "POST", webhookId: "custom", headers: { "x-key": key, "content-encoding": "gzip" }, body: gzipSync('{"n":1}') });
    expect((await send("open-sesame")).status).toBe(202);
    const refusedFalse = await send("nope");
    const refusedThrow = await send("throw");
    expectRefused(refusedFalse, 401, "unauthorized");
    expect(refusedThrow).toEqual(refusedFalse);
    expect(seen[0]).toEqual({ webhookId: "custom", raw: gzipSync('{"n":1}').toString("latin1") });
  });

  it("can be mixed with verifier objects: any one passing is enough", async () => {
    const hooks = contractHooks({ auth: [bearer(CONTRACT_TOKEN), (_request, raw) => Buffer.from(raw).toString() === '{"magic":true}'] });
    expect((await hooks.hooks.handleInboundWebhook(hooks.request({ headers: {}, body: '{"magic":true}' }))).status).toBe(202);
    expect((await hooks.hooks.handleInboundWebhook(hooks.request())).status).toBe(202);
    expectRefused(await hooks.hooks.handleInboundWebhook(hooks.request({ headers: {}, body: '{"magic":false}' })), 401, "unauthorized");
  });
});

describe("secrets never reach logs, events, errors or responses", () => {
  const TOKEN = "tok-SECRET-bearer-7f3a9c";
  const GH = "SECRET-github-4b1e";
  const STRIPE = "whsec_SECRET-stripe-91d0";
  const SW_KEY = randomBytes(32);
  const SW = `whsec_${SW_KEY.toString("base64")}`;
  const SLACK = "SECRET-slack-0c77";
  const HMAC = "SECRET-hmac-e2d5";
  const secrets = [TOKEN, GH, STRIPE, SW, SW_KEY.toString("base64"), SLACK, HMAC, createHash("sha256").update(TOKEN).digest("hex")];

  it("across every bad input, for every verifier", async () => {
    const records: string[] = [];
    const record = (level: string) => (fields: Record<string, unknown>, message: string) => void records.push(JSON.stringify({ level, fields, message }));
    const logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
    const events: HookrunEvent[] = [];
    const agent = () => undefined;
    const webhooks: WebhookDefinition[] = [
      { id: "bearer", auth: bearer([TOKEN, { token: "tok-SECRET-expired", notAfter: 0 }]), agent },
      { id: "github", auth: github({ secret: GH }), agent },
      { id: "stripe", auth: stripe({ secret: STRIPE }), agent },
      { id: "sw", auth: standardWebhooks({ secret: SW }), agent },
      { id: "slack", auth: slack({ signingSecret: SLACK }), agent },
      { id: "hmac", auth: hmac({ secret: HMAC, header: "x-sig" }), agent },
    ];
    const hooks = createInboundWebhooks({ webhooks, logger, onEvent: (event) => void events.push(event), maxBodyBytes: 64, bodyTimeoutMs: 50 });
    const now = Math.floor(Date.now() / 1000);
    const bodies: InboundRequest["body"][] = ["{}", "not json", "x".repeat(100), "", Buffer.from([0xff]), gzipSync("{}")];
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}` },
      { authorization: "Bearer tok-SECRET-expired" },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}` },
      { "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
      { "stripe-signature": `t=${now},v1=${"0".repeat(64)}` },
      { "stripe-signature": `t=NaN,v1=${"0".repeat(64)}` },
      { "webhook-id": "m", "webhook-timestamp": String(now - 9999), "webhook-signature": `v1,${"A".repeat(43)}=` },
      { "x-slack-request-timestamp": "soon", "x-slack-signature": "v0=00" },
      { "x-sig": "zz", "content-encoding": "gzip" },
      { authorization: `Bearer ${TOKEN}`, "content-encoding": "zstd" },
      { "x-hub-signature-256": `sha256=${"0".repeat(64)}`, "content-encoding": "br" },
      { "content-length": "99999999999999999999" },
    ];
    const responses: InboundResponse[] = [];
    for (const webhook of [...webhooks.map((definition) => definition.id), "unknown"]) {
      for (const method of ["POST", "GET"]) {
        for (const headers of headerSets) {
          const stalled = (async function* () {
            yield Buffer.from("{");
            await new Promise(() => {});
          })();
          for (const body of bodies) {
            responses.push(await hooks.handleInboundWebhook({ method, webhookId: webhook, headers, body }));
          }
          responses.push(await hooks.handleInboundWebhook({ method, webhookId: webhook, headers, body: stalled }));
        }
      }
    }
    expect(new Set(responses.map((response) => response.status))).toEqual(new Set([202, 400, 401, 405, 408, 413, 415]));
    expect(records.length).toBeGreaterThan(100);
    expect(events.filter((event) => event.type.startsWith("request.")).length).toBe(responses.length);
    const everything = [...records, ...events.map((event) => JSON.stringify(event)), ...responses.map((response) => JSON.stringify(response))].join("\n");
    for (const secret of secrets) expect(everything.includes(secret), `leaked ${secret.slice(0, 10)}...`).toBe(false);
    expect(everything).not.toContain("SECRET");
  });
});
