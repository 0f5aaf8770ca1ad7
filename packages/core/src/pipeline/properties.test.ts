import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createInboundWebhooks, github, type InboundBody, type InboundHeaders, slack, standardWebhooks, stripe, type Verifier } from "@hookrun/core";
import { bodyOf, contractHooks, CONTRACT_TOKEN, memoryLogger } from "../../../../test/support/in-process";
import { RunLog, recordingAgent } from "../../../../test/support/recorder";

type Form = "bytes" | "string" | "iterable" | "stream";

/** `bytes` split at `cuts` and delivered in the given form. */
function deliver(bytes: Uint8Array, cuts: number[], form: Form): InboundBody {
  if (form === "bytes") return bytes;
  if (form === "string") return Buffer.from(bytes).toString("utf8");
  const points = [...new Set(cuts.map((cut) => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.byteLength]) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  if (form === "iterable") {
    return (async function* () {
      for (const piece of pieces) yield piece;
    })();
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
}

const form = fc.constantFrom<Form>("bytes", "string", "iterable", "stream");
const cuts = fc.array(fc.nat(), { maxLength: 8 });
const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.string({ unit: "binary", maxLength: 200 }).map((text) => new Uint8Array(Buffer.from(text, "utf8"))),
  fc.jsonValue().map((value) => new Uint8Array(Buffer.from(JSON.stringify(value) ?? "null", "utf8"))),
);
const anyHeaders = fc.record(
  {
    "content-encoding": fc.constantFrom("gzip", "br", "deflate", "identity", "zstd", "gzip, gzip"),
    "content-length": fc.oneof(fc.nat({ max: 2_000 }).map(String), fc.constantFrom("-1", "abc", "", "1e3")),
  },
  { requiredKeys: [] },
);

describe("property: random bodies never break the pipeline", () => {
  it("never rejects and never answers 5xx, whatever the bytes, chunking, form and headers", async () => {
    const hooks = contractHooks({}, { maxBodyBytes: 256, bodyTimeoutMs: 1_000 });
    await fc.assert(
      fc.asyncProperty(anyBody, cuts, form, anyHeaders, fc.constantFrom("POST", "GET"), async (bytes, at, shape, headers, method) => {
        const response = await hooks.hooks.handleInboundWebhook(
          hooks.request({ method, headers: { authorization: `Bearer ${CONTRACT_TOKEN}`, ...headers }, body: deliver(bytes, at, shape) }),
        );
        expect(response.status).toBeLessThan(500);
        expect([202, 400, 405, 413, 415]).toContain(response.status);
        const parsed = bodyOf<{ code?: string; status?: string }>(response);
        if (response.status !== 202) expect(typeof parsed.code).toBe("string");
      }),
      { numRuns: 400 },
    );
    expect(hooks.logger.lines.filter((line) => line.level === "error")).toEqual([]);
  });
});

describe("property: every JSON value round-trips into the envelope", () => {
  it("hands the agent exactly the parsed body, in every delivery form and chunking", async () => {
    const hooks = contractHooks();
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), cuts, form, async (value, at, shape) => {
        const text = JSON.stringify(value);
        const response = await hooks.hooks.handleInboundWebhook(hooks.request({ body: deliver(Buffer.from(text, "utf8"), at, shape) }));
        expect(response.status).toBe(202);
        const run = await hooks.runs.waitFor(bodyOf<{ runId: string }>(response).runId);
        expect(run.envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: "contract", payload: JSON.parse(text) });
      }),
      { numRuns: 300 },
    );
  });
});

describe("property: every mutation of a valid signature fails", () => {
  const SECRET = "property-secret";
  const SW_SECRET = `whsec_${Buffer.from("property-key-bytes").toString("base64")}`;
  const SW_KEY = Buffer.from("property-key-bytes");
  const hex = (content: string) => createHmac("sha256", SECRET).update(content).digest("hex");
  type Signer = (body: string, now: number) => Record<string, string>;
  const schemes: Array<{ name: string; verifier: Verifier; sign: Signer }> = [
    { name: "github", verifier: github({ secret: SECRET }), sign: (body) => ({ "x-hub-signature-256": `sha256=${hex(body)}` }) },
    { name: "stripe", verifier: stripe({ secret: SECRET }), sign: (body, now) => ({ "stripe-signature": `t=${now},v1=${hex(`${now}.${body}`)}` }) },
    {
      name: "standardWebhooks",
      verifier: standardWebhooks({ secret: SW_SECRET }),
      sign: (body, now) => ({
        "webhook-id": "msg_prop",
        "webhook-timestamp": String(now),
        "webhook-signature": `v1,${createHmac("sha256", SW_KEY).update(`msg_prop.${now}.${body}`).digest("base64")}`,
      }),
    },
    { name: "slack", verifier: slack({ signingSecret: SECRET }), sign: (body, now) => ({ "x-slack-request-timestamp": String(now), "x-slack-signature": `v0=${hex(`v0:${now}:${body}`)}` }) },
  ];

  it.each(schemes.map((scheme) => [scheme.name, scheme] as const))("%s: a one-byte change of the body or any signed header answers 401", async (_name, scheme) => {
    const runs = new RunLog();
    const hooks = createInboundWebhooks({ webhooks: [{ id: "signed", auth: scheme.verifier, agent: recordingAgent(runs) }], logger: memoryLogger() });
    const send = (headers: InboundHeaders, body: Uint8Array) => hooks.handleInboundWebhook({ method: "POST", webhookId: "signed", headers, body });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 2 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (value, position, delta, inBody) => {
        const body = JSON.stringify(value) ?? "null";
        const headers = scheme.sign(body, Math.floor(Date.now() / 1000));
        expect((await send(headers, Buffer.from(body))).status).toBe(202);
        let mutatedHeaders = headers;
        let mutatedBody = Buffer.from(body);
        const names = Object.keys(headers);
        if (inBody) {
          mutatedBody[position % mutatedBody.length] = (mutatedBody[position % mutatedBody.length]! + delta) % 256;
        } else {
          const name = names[position % names.length]!;
          const bytes = Buffer.from(headers[name]!, "latin1");
          const index = Math.floor(position / names.length) % bytes.length;
          // Header values are visible ASCII on the wire: keep the mutation there.
          bytes[index] = 0x21 + ((bytes[index]! - 0x21 + delta) % 94 || 1);
          mutatedHeaders = { ...headers, [name]: bytes.toString("latin1") };
          if (mutatedHeaders[name] === headers[name]) return;
        }
        const response = await send(mutatedHeaders, mutatedBody);
        expect(response.status).toBe(401);
        expect(bodyOf(response)).toMatchObject({ code: "unauthorized" });
      }),
      { numRuns: 300 },
    );
  });
});
