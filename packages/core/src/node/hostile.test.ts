import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { connect } from "node:net";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, github, type InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { listen, memoryLogger } from "../../../../test/support/in-process";
import { chunk, rawExchange, requestHead, type RawResponse } from "../../../../test/support/raw-http";
import { RunLog, recordingAgent } from "../../../../test/support/recorder";

const TOKEN = "corpus-token-5d1c0a7e";
const SECRET = "corpus-github-secret";
const LIMIT = 1_048_576;
const BODY_TIMEOUT_MS = 400;

let hooks: InboundWebhooks;
let runs: RunLog;
let port: number;
let close: () => Promise<void>;

beforeAll(async () => {
  runs = new RunLog();
  hooks = createInboundWebhooks({
    webhooks: [
      { id: "corpus", auth: bearer(TOKEN), agent: recordingAgent(runs) },
      { id: "signed", auth: github({ secret: SECRET }), agent: recordingAgent(runs) },
    ],
    logger: memoryLogger(),
    bodyTimeoutMs: BODY_TIMEOUT_MS,
  });
  const server = createServer((req, res) => {
    const match = /^\/inbound-webhooks\/([^/?]+)$/.exec(req.url ?? "");
    if (!match) return void res.writeHead(404).end();
    void handleNodeRequest(hooks, req, res, decodeURIComponent(match[1]!));
  });
  ({ port, close } = await listen(server));
});
afterAll(async () => {
  await close();
  await hooks.close();
});

const PATH = "/inbound-webhooks/corpus";
const AUTH = `Bearer ${TOKEN}`;
const JSON_BODY = '{"event":"ping"}';
const sign = (body: string | Buffer) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

/** A head plus body with a correct Content-Length, any extra header lines as given (repeats allowed). */
function post(body: string | Buffer, lines: string[] = [`Authorization: ${AUTH}`], path = PATH, method = "POST"): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const head = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...lines, `Content-Length: ${bytes.length}`].join("\r\n");
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), bytes]);
}
function chunked(pieces: Buffer[], lines: string[] = [`Authorization: ${AUTH}`]): Buffer {
  const head = [`POST ${PATH} HTTP/1.1`, "Host: 127.0.0.1", ...lines, "Transfer-Encoding: chunked"].join("\r\n");
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), ...pieces]);
}

/** Writes `head` then one byte of `body` every `everyMs`, as a slowloris client. */
function drip(head: string, body: string, everyMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    let index = 0;
    const timer = setInterval(() => (index < body.length && socket.writable ? socket.write(body[index++]!) : clearInterval(timer)), everyMs);
    socket.write(head);
    socket.on("data", (data) => {
      received += data.toString("latin1");
      const end = received.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? NaN);
      if (end < 0 || received.length < end + 4 + length) return;
      clearInterval(timer);
      socket.destroy();
      const headers = Object.fromEntries(received.slice(0, end).split("\r\n").slice(1).map((line) => [line.split(":")[0]!.toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      resolve({ status: Number(received.split(" ")[1]), headers, body: received.slice(end + 4, end + 4 + length), closed: Promise.resolve() });
    });
    socket.on("error", reject);
  });
}

interface Case {
  name: string;
  /** null: Node's HTTP parser refuses the request itself (no problem document). */
  expect: [status: number, code: string | null];
  send: () => Promise<RawResponse>;
}

const exchange = (request: string | Buffer, options?: Parameters<typeof rawExchange>[2]) => () => rawExchange(port, request, options);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

const CORPUS: Case[] = [
  // Authorization forms
  { name: "no Authorization header", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [])) },
  { name: "empty Authorization", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, ["Authorization: "])) },
  { name: "scheme without a token", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, ["Authorization: Bearer"])) },
  { name: "scheme and spaces only", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, ["Authorization: Bearer    "])) },
  { name: "token without a scheme", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${TOKEN}`])) },
  { name: "Basic scheme carrying the token", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`])) },
  { name: "Token scheme", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: Token ${TOKEN}`])) },
  { name: "token with trailing garbage", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH} extra`])) },
  { name: "token with a trailing comma", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH},`])) },
  { name: "token prefix only", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH.slice(0, -1)}`])) },
  { name: "token plus one character", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}x`])) },
  { name: "token in latin-1 look-alike bytes", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: Bearer ${TOKEN.replace("a", "\u00e1")}`])) },
  { name: "valid then invalid Authorization", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, "Authorization: Bearer nope"])) },
  { name: "invalid then valid Authorization", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, ["Authorization: Bearer nope", `Authorization: ${AUTH}`])) },
  { name: "the valid Authorization twice", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, `authorization: ${AUTH}`])) },
  { name: "lower-case scheme (accepted: schemes are case-insensitive)", expect: [202, null], send: exchange(post(JSON_BODY, [`Authorization: bearer ${TOKEN}`])) },
  { name: "unknown webhook id with a valid token", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`], "/inbound-webhooks/nope")) },
  { name: "encoded dot-dot id", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`], "/inbound-webhooks/%2e%2e")) },
  { name: "Expect: 100-continue with a bad token, body never sent", expect: [401, "unauthorized"], send: exchange(`${requestHead("POST", PATH, { authorization: "Bearer nope", "content-length": 10, expect: "100-continue" })}`) },
  // Huge headers
  { name: "100 KB Authorization header", expect: [431, null], send: exchange(post(JSON_BODY, [`Authorization: Bearer ${"a".repeat(100_000)}`])) },
  { name: "many headers over 16 KB in total", expect: [431, null], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, ...Array.from({ length: 400 }, (_, i) => `X-Filler-${i}: ${"f".repeat(40)}`)])) },
  { name: "NUL byte in a header value", expect: [400, null], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, "X-Bad: a\u0000b"])) },
  // Methods
  ...["GET", "PUT", "PATCH", "DELETE", "OPTIONS"].map((method): Case => ({ name: `${method} with a valid token`, expect: [405, "method_not_allowed"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`], PATH, method)) })),
  { name: "lower-case method", expect: [400, null], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`], PATH, "post")) },
  // Encodings
  { name: "gzip body", expect: [202, null], send: exchange(post(gzipSync(JSON_BODY), [`Authorization: ${AUTH}`, "Content-Encoding: gzip"])) },
  { name: "unknown Content-Encoding", expect: [415, "unsupported_encoding"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, "Content-Encoding: compress"])) },
  { name: "three stacked encodings", expect: [415, "unsupported_encoding"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, "Content-Encoding: gzip, gzip, gzip"])) },
  { name: "gzip declared, plain body sent", expect: [400, "invalid_json"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`, "Content-Encoding: gzip"])) },
  { name: "brotli bomb (64 MiB of spaces)", expect: [413, "payload_too_large"], send: exchange(post(brotliCompressSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }), [`Authorization: ${AUTH}`, "Content-Encoding: br"])) },
  // Bodies
  { name: "empty body", expect: [400, "invalid_json"], send: exchange(post("")) },
  { name: "invalid UTF-8", expect: [400, "invalid_json"], send: exchange(post(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]))) },
  { name: "not JSON", expect: [400, "invalid_json"], send: exchange(post("event=ping")) },
  { name: "BOM then JSON", expect: [202, null], send: exchange(post(`\ufeff${JSON_BODY}`)) },
  { name: "129 levels of nesting", expect: [400, "invalid_json"], send: exchange(post(nested(129))) },
  { name: "prototype keys", expect: [202, null], send: exchange(post('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}')) },
  { name: "one byte over the limit, chunked", expect: [413, "payload_too_large"], send: exchange(chunked([chunk(Buffer.alloc(LIMIT + 1, 0x20)), Buffer.from("0\r\n\r\n")])) },
  { name: "invalid chunk size", expect: [400, null], send: exchange(chunked([Buffer.from("zz\r\nabc\r\n0\r\n\r\n")])) },
  // Content-Length lies
  { name: "Content-Length over the limit", expect: [413, "payload_too_large"], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": LIMIT + 1 })}`) },
  { name: "Content-Length of 30 digits (Node's parser refuses it)", expect: [400, null], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": "9".repeat(30) })}`) },
  { name: "non-numeric Content-Length", expect: [400, null], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": "ten" })}${JSON_BODY}`) },
  { name: "two different Content-Lengths", expect: [400, null], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": 16, "Content-Length": 17 })}${JSON_BODY}`) },
  { name: "Content-Length and Transfer-Encoding together", expect: [400, null], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": 16, "transfer-encoding": "chunked" })}${chunk(JSON_BODY)}0\r\n\r\n`) },
  { name: "Content-Length shorter than the body: the tail is a bad next request", expect: [400, null], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": 5 })}${JSON_BODY}`) },
  { name: "Content-Length longer than the body, client waits", expect: [408, "request_timeout"], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": 100 })}${JSON_BODY}`) },
  { name: "truncated body, client half-closes (Node's parser refuses it)", expect: [400, null], send: exchange(`${requestHead("POST", PATH, { authorization: AUTH, "content-length": 100 })}${JSON_BODY}`, { endAfterWrite: true }) },
  // Slow bodies
  { name: "headers then nothing", expect: [408, "request_timeout"], send: exchange(requestHead("POST", PATH, { authorization: AUTH, "content-length": 16 })) },
  { name: "chunked headers then nothing", expect: [408, "request_timeout"], send: exchange(requestHead("POST", PATH, { authorization: AUTH, "transfer-encoding": "chunked" })) },
  { name: "slowloris: one byte every 50 ms", expect: [408, "request_timeout"], send: () => drip(requestHead("POST", PATH, { authorization: AUTH, "content-length": JSON_BODY.length }), JSON_BODY, 50) },
  // Signatures
  { name: "signed webhook without a signature", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [], "/inbound-webhooks/signed")) },
  { name: "signed webhook, bearer token instead", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`Authorization: ${AUTH}`], "/inbound-webhooks/signed")) },
  { name: "signature of another body", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`X-Hub-Signature-256: ${sign("{}")}`], "/inbound-webhooks/signed")) },
  { name: "valid signature", expect: [202, null], send: exchange(post(JSON_BODY, [`X-Hub-Signature-256: ${sign(JSON_BODY)}`], "/inbound-webhooks/signed")) },
  { name: "signature over the decoded body of a gzip request", expect: [401, "unauthorized"], send: exchange(post(gzipSync(JSON_BODY), [`X-Hub-Signature-256: ${sign(JSON_BODY)}`, "Content-Encoding: gzip"], "/inbound-webhooks/signed")) },
  { name: "signature over the gzip bytes as sent", expect: [202, null], send: () => { const sent = gzipSync(JSON_BODY); return rawExchange(port, post(sent, [`X-Hub-Signature-256: ${sign(sent)}`, "Content-Encoding: gzip"], "/inbound-webhooks/signed")); } },
  { name: "signed webhook, no signature, oversized Content-Length: 401 like an unknown id", expect: [401, "unauthorized"], send: exchange(requestHead("POST", "/inbound-webhooks/signed", { "content-length": LIMIT + 1 })) },
  { name: "unknown id, oversized Content-Length", expect: [401, "unauthorized"], send: exchange(requestHead("POST", "/inbound-webhooks/unknown", { "content-length": LIMIT + 1 })) },
  { name: "signed webhook, no signature, stalled body: 401 at once like an unknown id", expect: [401, "unauthorized"], send: exchange(requestHead("POST", "/inbound-webhooks/signed", { "content-length": 100 })) },
  { name: "signed webhook, no signature, unknown encoding: 401 like an unknown id", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, ["Content-Encoding: zstd"], "/inbound-webhooks/signed")) },
  { name: "signed webhook, a signature header, oversized Content-Length", expect: [413, "payload_too_large"], send: exchange(requestHead("POST", "/inbound-webhooks/signed", { "x-hub-signature-256": sign("{}"), "content-length": LIMIT + 1 })) },
  { name: "signature sent twice", expect: [401, "unauthorized"], send: exchange(post(JSON_BODY, [`X-Hub-Signature-256: ${sign(JSON_BODY)}`, `X-Hub-Signature-256: ${sign(JSON_BODY)}`], "/inbound-webhooks/signed")) },
];

describe("hostile request corpus over real sockets (handleNodeRequest on node:http)", () => {
  it("has at least 40 cases", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CORPUS.map((entry) => [entry.name, entry] as const))("%s", async (_name, entry) => {
    const response = await entry.send();
    const [status, code] = entry.expect;
    expect(response.status).toBe(status);
    if (status === 202) {
      const { runId } = JSON.parse(response.body) as { runId: string };
      expect((await runs.waitFor(runId)).envelope.page).toBe("inbound_webhook");
    } else if (code === null) {
      expect(response.headers["content-type"]).toBeUndefined();
    } else {
      expect(response.headers["content-type"]).toBe("application/problem+json");
      expect(JSON.parse(response.body)).toMatchObject({ status, code });
    }
    // The server keeps serving after each hostile request.
    const after = await rawExchange(port, post(JSON_BODY));
    expect(after.status).toBe(202);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("raw bytes kept by a body parser", () => {
  it("are taken as already decoded: Content-Encoding and Content-Length describe what the parser read, not them", async () => {
    const { gunzipSync } = await import("node:zlib");
    const server = createServer((req, res) => {
      const pieces: Buffer[] = [];
      req.on("data", (piece: Buffer) => pieces.push(piece));
      // What express.json({ verify }) keeps: the inflated bytes.
      req.on("end", () => void handleNodeRequest(hooks, req, res, "corpus", gunzipSync(Buffer.concat(pieces))));
    });
    const parsed = await listen(server);
    try {
      const payload = { event: "parsed", list: [1, 2, 3] };
      const response = await rawExchange(parsed.port, post(gzipSync(JSON.stringify(payload)), [`Authorization: ${AUTH}`, "Content-Encoding: gzip"]));
      expect(response.status).toBe(202);
      const { runId } = JSON.parse(response.body) as { runId: string };
      expect((await runs.waitFor(runId)).envelope.payload).toEqual(payload);
    } finally {
      await parsed.close();
    }
  });
});
