import { createHmac } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/example-process";
import { listen } from "../../../test/support/in-process";
import { runHookrun } from "./run-cli";

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP server that records what it gets and answers with a chosen status. */
describe("hookrun send (process) against a recording server", () => {
  let received: Received[] = [];
  let answer = { status: 202, body: '{"status":"accepted"}' };
  let url: string;
  let close: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ method: req.method!, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    });
    const listening = await listen(server);
    url = `http://127.0.0.1:${listening.port}/inbound-webhooks/demo`;
    close = listening.close;
    dir = await mkdtemp(join(tmpdir(), "hookrun-cli-send-"));
  });
  afterAll(async () => {
    await close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    received = [];
    answer = { status: 202, body: '{"status":"accepted"}' };
  });

  it("POSTs the --data bytes with the bearer token and prints status, timing and the body", async () => {
    const data = '{"event":"customer.alert.created", "severity":"high"}';
    const run = await runHookrun(["send", url, "--token", "tok-123", "--data", data]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^202 Accepted in \d+ ms\n\{"status":"accepted"\}\n$/);
    expect(received).toHaveLength(1);
    expect(received[0]!.method).toBe("POST");
    expect(received[0]!.headers.authorization).toBe("Bearer tok-123");
    expect(received[0]!.headers["content-type"]).toBe("application/json");
    expect(received[0]!.headers["idempotency-key"]).toBeUndefined();
    expect(received[0]!.body.toString("utf8")).toBe(data);
  });

  it("sends a JSON test event when no body is given, and the token from HOOKRUN_TOKEN", async () => {
    const run = await runHookrun(["send", url], { HOOKRUN_TOKEN: "from-env" });
    expect(run.code).toBe(0);
    expect(received[0]!.headers.authorization).toBe("Bearer from-env");
    expect(JSON.parse(received[0]!.body.toString("utf8"))).toEqual({ event: "hookrun.test", sentAt: expect.any(String) });
  });

  it("sends a --file byte for byte (no re-encoding) with Idempotency-Key from --delivery-id", async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"Zoë",\r\n"n":1}\n')]);
    const file = join(dir, "body.json");
    await writeFile(file, bytes);
    const run = await runHookrun(["send", url, "-t", "t", "--file", file, "--delivery-id", "dlv-42", "-H", "X-Trace: abc"]);
    expect(run.code).toBe(0);
    expect(received[0]!.body.equals(bytes)).toBe(true);
    expect(received[0]!.headers["idempotency-key"]).toBe("dlv-42");
    expect(received[0]!.headers["x-trace"]).toBe("abc");
  });

  it("signs like GitHub: X-Hub-Signature-256 = sha256=<hex HMAC of the body>", async () => {
    const data = '{"action":"opened"}';
    const run = await runHookrun(["send", url, "--data", data, "--github-secret", "gh-secret"]);
    expect(run.code).toBe(0);
    expect(received[0]!.headers["x-hub-signature-256"]).toBe(`sha256=${createHmac("sha256", "gh-secret").update(data).digest("hex")}`);
    expect(received[0]!.headers.authorization).toBeUndefined();
  });

  it("signs like Stripe: t=<now>,v1=<hex HMAC of `${t}.${body}`>", async () => {
    const data = '{"id":"evt_1"}';
    const before = Math.floor(Date.now() / 1000);
    const run = await runHookrun(["send", url, "--data", data, "--stripe-secret", "whsec_stripe"]);
    expect(run.code).toBe(0);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(received[0]!.headers["stripe-signature"]));
    expect(match).not.toBeNull();
    const t = Number(match![1]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(match![2]).toBe(createHmac("sha256", "whsec_stripe").update(`${t}.${data}`).digest("hex"));
  });

  it("signs per Standard Webhooks with the base64-decoded whsec_ key and the delivery id as webhook-id", async () => {
    const key = Buffer.from("a 24-byte signing key!!!");
    const data = '{"type":"user.created"}';
    const run = await runHookrun(["send", url, "--data", data, "--delivery-id", "msg_7", "--standard-webhooks-secret", `whsec_${key.toString("base64")}`]);
    expect(run.code).toBe(0);
    const headers = received[0]!.headers;
    expect(headers["webhook-id"]).toBe("msg_7");
    expect(headers["idempotency-key"]).toBe("msg_7");
    const timestamp = String(headers["webhook-timestamp"]);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(headers["webhook-signature"]).toBe(`v1,${createHmac("sha256", key).update(`msg_7.${timestamp}.${data}`).digest("base64")}`);
  });

  it("exits 1 on a non-2xx answer, still printing the status and the body", async () => {
    answer = { status: 401, body: '{"code":"unauthorized"}' };
    const run = await runHookrun(["send", url, "--token", "wrong"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^401 Unauthorized in \d+ ms\n\{"code":"unauthorized"\}\n$/);
    expect(run.stdout + run.stderr).not.toContain("wrong");
  });

  it("exits 3 with a clear message when nothing listens, without printing the token", async () => {
    const port = await freePort();
    const run = await runHookrun(["send", `http://127.0.0.1:${port}/inbound-webhooks/demo`, "--token", "secret-token"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`hookrun send: could not deliver to http://127.0.0.1:${port}/inbound-webhooks/demo: ECONNREFUSED\n`);
    expect(run.stdout).toBe("");
  });

  it("exits 3 when the server does not answer within --timeout", async () => {
    const silent = createServer(() => {});
    const { port, close: closeSilent } = await listen(silent);
    const run = await runHookrun(["send", `http://127.0.0.1:${port}/x`, "--timeout", "300"]);
    await closeSilent();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("no answer within 300 ms");
  });

  it.each([
    ["--data with --file", ["--data", "{}", "--file", "x.json"], /cannot be used with/],
    ["two signing schemes", ["--github-secret", "a", "--stripe-secret", "b"], /cannot be used with/],
    ["a secret that is not base64", ["--standard-webhooks-secret", "whsec_???"], /must be base64/],
    ["an unreadable file", ["--file", "/nonexistent/body.json"], /cannot read --file \/nonexistent\/body.json: ENOENT/],
    ["a malformed header", ["-H", "no colon"], /expected "Name: value"/],
    ["an unknown option", ["--url-is-missing"], /unknown option/],
  ])("exits 2 on %s, sending nothing", async (_label, args, message) => {
    const run = await runHookrun(["send", ...(args[0] === "--url-is-missing" ? args : [url, ...args])]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(received).toHaveLength(0);
  });

  it.each([
    ["ftp://example.invalid/x", "expected an http or https URL, got ftp:"],
    ["localhost:3000/inbound-webhooks/demo", "expected an http or https URL, got localhost:"],
    ["not a url", 'not a URL: "not a url"'],
  ])("exits 2 on the URL %j", async (target, message) => {
    const run = await runHookrun(["send", target]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
