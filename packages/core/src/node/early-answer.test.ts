import { createServer } from "node:http";
import { connect } from "node:net";
import { createGzip, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createInboundWebhooks, type InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { listen, memoryLogger } from "../../../../test/support/in-process";
import { chunk, rawExchange, requestHead } from "../../../../test/support/raw-http";
import { RunLog, recordingAgent } from "../../../../test/support/recorder";

const TOKEN = "early-answer-token";
const PATH = "/inbound-webhooks/early";
const UPLOAD_BYTES = 20 * 1024 * 1024;

let hooks: InboundWebhooks;
let runs: RunLog;
let port: number;
let close: () => Promise<void>;
// The upload test gets the default body timeout: on a loaded machine, 1 MiB can take longer than
// the 300 ms the stalled-body cases use, and its tries must end in their 413/401, not a 408.
let patient: { hooks: InboundWebhooks; port: number; close: () => Promise<void> };

beforeAll(async () => {
  runs = new RunLog();
  hooks = createInboundWebhooks({
    webhooks: [{ id: "early", auth: bearer(TOKEN), agent: recordingAgent(runs) }],
    logger: memoryLogger(),
    bodyTimeoutMs: 300,
  });
  const server = createServer((req, res) => void handleNodeRequest(hooks, req, res, "early"));
  ({ port, close } = await listen(server));
  const patientHooks = createInboundWebhooks({
    webhooks: [{ id: "early", auth: bearer(TOKEN), agent: recordingAgent(runs) }],
    logger: memoryLogger(),
  });
  const patientServer = createServer((req, res) => void handleNodeRequest(patientHooks, req, res, "early"));
  patient = { hooks: patientHooks, ...(await listen(patientServer)) };
});
afterAll(async () => {
  await close();
  await hooks.close();
  await patient.close();
  await patient.hooks.close();
});

interface Answer {
  status: number;
  code: string;
  /** Body bytes the client had written when the whole answer arrived. */
  uploaded: number;
}

/**
 * Sends `head`, then keeps uploading up to 20 MiB (as chunks when `chunked`) without waiting for
 * anything, as a real client streaming a big file would: with `writeAll`, all 20 MiB whatever
 * comes back, else until the answer is in. Resolves with the answer once it is read whole (and,
 * with `writeAll`, everything was written); rejects when the connection is reset or closed first.
 */
function uploadUntilAnswered(head: string, chunked: boolean, writeAll: boolean, serverPort = port): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: keep writing after the server's FIN, as a client busy uploading does.
    const socket = connect({ port: serverPort, host: "127.0.0.1", allowHalfOpen: true });
    const filler = Buffer.alloc(64 * 1024, 0x20);
    const piece = chunked ? chunk(filler) : filler;
    let received = Buffer.alloc(0);
    let uploaded = 0;
    let done = false;
    let answer: Answer | undefined;
    const finish = (outcome: Answer | Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const pump = () => {
      while (!done && uploaded < UPLOAD_BYTES && socket.writable) {
        uploaded += filler.length;
        if (!socket.write(piece)) return void socket.once("drain", pump);
      }
      if (answer && uploaded >= UPLOAD_BYTES) socket.write("", () => finish(answer!));
    };
    socket.on("data", (data) => {
      received = Buffer.concat([received, data]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = received.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
      if (received.length < end + 4 + length) return;
      const body = JSON.parse(received.subarray(end + 4, end + 4 + length).toString("utf8")) as { code: string };
      answer = { status: Number(head.split(" ")[1]), code: body.code, uploaded };
      if (!writeAll) finish(answer);
      else if (uploaded >= UPLOAD_BYTES) socket.write("", () => finish(answer!));
    });
    socket.on("error", (error) => finish(new Error(`connection failed before the whole answer (${error.message}); got ${received.length} bytes`)));
    socket.on("close", () => finish(answer && !writeAll ? answer : new Error(`connection closed before the whole answer and upload; got ${received.length} bytes, wrote ${uploaded}`)));
    socket.write(head);
    pump();
  });
}

const MODES = [
  { name: "declared Content-Length of 20 MiB", head: requestHead("POST", PATH, { authorization: `Bearer ${TOKEN}`, "content-length": UPLOAD_BYTES }), chunked: false, expect: [413, "payload_too_large"] },
  { name: "chunked 20 MiB upload", head: requestHead("POST", PATH, { authorization: `Bearer ${TOKEN}`, "transfer-encoding": "chunked" }), chunked: true, expect: [413, "payload_too_large"] },
  { name: "bad token with a 20 MiB body", head: requestHead("POST", PATH, { authorization: "Bearer wrong", "content-length": UPLOAD_BYTES }), chunked: false, expect: [401, "unauthorized"] },
] as const;

describe("early answers reach a client that is still uploading", () => {
  it("reads the 413 or 401, every time, in 500 tries while writing 20 MiB after the headers", async () => {
    const tries = 500;
    const uploadedBeforeAnswer: number[] = [];
    const failures: string[] = [];
    const counts = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < tries) {
        const attempt = next++;
        const mode = MODES[attempt % MODES.length]!;
        try {
          // Every other try keeps writing all 20 MiB after the answer, the rest stop once it is in.
          const answer = await uploadUntilAnswered(mode.head, mode.chunked, attempt % 2 === 0, patient.port);
          uploadedBeforeAnswer.push(answer.uploaded);
          if (answer.status !== mode.expect[0] || answer.code !== mode.expect[1]) failures.push(`${mode.name}: got ${answer.status} ${answer.code}`);
          counts.set(mode.name, (counts.get(mode.name) ?? 0) + 1);
        } catch (error) {
          failures.push(`${mode.name}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    expect(failures).toEqual([]);
    expect([...counts.values()].reduce((sum, count) => sum + count, 0)).toBe(tries);
    // The chunked tries were answered only after more than the 1 MiB limit had been uploaded.
    expect(uploadedBeforeAnswer.filter((bytes) => bytes > 1024 * 1024).length).toBeGreaterThanOrEqual(Math.floor(tries / 3));
    // The server still serves.
    expect((await rawExchange(patient.port, `${requestHead("POST", PATH, { authorization: `Bearer ${TOKEN}`, "content-length": 2 })}{}`)).status).toBe(202);
  }, 120_000);
});

/** gzip(gzip(1 GiB of zeros)): under 10 KB on the wire, 1 GiB once both layers are undone. */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const inner: Buffer[] = [];
  gzip.on("data", (piece: Buffer) => inner.push(piece));
  const zeros = Buffer.alloc(16 * 1024 * 1024);
  for (let written = 0; written < 1024 ** 3; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  gzip.end();
  await new Promise((resolve) => gzip.once("end", resolve));
  return gzipSync(Buffer.concat(inner), { level: 9 });
}

describe("hostile requests do not starve valid ones", () => {
  it("answers a gzip bomb, a stalled body and deep nesting with their codes while a parallel stream of valid requests keeps getting 202", async () => {
    const valid: number[] = [];
    let hostileDone = false;
    const stream = (async () => {
      // Bounded: stops when the hostile requests are answered (and after at most 2,000 requests).
      while ((!hostileDone || valid.length < 20) && valid.length < 2_000) {
        const response = await rawExchange(port, `${requestHead("POST", PATH, { authorization: `Bearer ${TOKEN}`, "content-length": 11 })}{"ok":true}`);
        valid.push(response.status);
        const { runId } = JSON.parse(response.body) as { runId: string };
        await runs.waitFor(runId);
      }
    })();
    const bomb = await gzipBomb();
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const send = (headers: Record<string, string | number>, body: string | Buffer) =>
      rawExchange(port, Buffer.concat([Buffer.from(requestHead("POST", PATH, { authorization: `Bearer ${TOKEN}`, ...headers })), Buffer.from(body)]));
    const hostile = await Promise.all([
      ...Array.from({ length: 3 }, () => send({ "content-encoding": "gzip, gzip", "content-length": bomb.length }, bomb)),
      ...Array.from({ length: 3 }, () => send({ "content-length": 100 }, '{"stalled":')),
      ...Array.from({ length: 3 }, () => send({ "content-length": deep.length }, deep)),
    ]);
    hostileDone = true;
    await stream;
    expect(bomb.length).toBeLessThan(10 * 1024);
    expect(hostile.map((response) => [response.status, (JSON.parse(response.body) as { code: string }).code])).toEqual([
      ...Array.from({ length: 3 }, () => [413, "payload_too_large"]),
      ...Array.from({ length: 3 }, () => [408, "request_timeout"]),
      ...Array.from({ length: 3 }, () => [400, "invalid_json"]),
    ]);
    expect(valid.length).toBeGreaterThanOrEqual(20);
    expect(new Set(valid)).toEqual(new Set([202]));
  }, 60_000);
});
