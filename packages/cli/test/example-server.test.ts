import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExample, type ExampleProcess } from "../../../test/support/example-process";
import { runHookrun } from "./run-cli";

const EXPRESS = fileURLToPath(new URL("../../../examples/express/", import.meta.url));
const { scripts } = JSON.parse(readFileSync(`${EXPRESS}package.json`, "utf8")) as { scripts: { start: string } };
const TOKEN = "cli-test-token-0123456789abcdefghijklmnop";

const startExpress = (token: string) => startExample(EXPRESS, scripts.start, { HOOKRUN_WEBHOOK_ID: "demo", HOOKRUN_WEBHOOK_TOKEN: token });
const acceptedRunId = (stdout: string) => (JSON.parse(stdout.split("\n")[1]!) as { runId: string }).runId;

describe("hookrun (process) against the Express example (process)", () => {
  let app: ExampleProcess;
  let url: string;
  beforeAll(async () => {
    app = await startExpress(TOKEN);
    url = `http://127.0.0.1:${app.port}/inbound-webhooks/demo`;
  });
  afterAll(() => app?.stop());

  it("send: prints 202 with the runId, and the agent gets the exact envelope", async () => {
    const run = await runHookrun(["send", url, "--token", TOKEN, "--data", '{"event":"cli.test","n":1}']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^202 Accepted in \d+ ms\n/);
    const response = JSON.parse(run.stdout.split("\n")[1]!) as Record<string, unknown>;
    expect(response).toEqual({ status: "accepted", runId: expect.any(String), inboundWebhookId: "demo" });
    const recorded = await app.runs.waitFor(acceptedRunId(run.stdout));
    expect(recorded.envelope).toEqual({ page: "inbound_webhook", inboundWebhookId: "demo", payload: { event: "cli.test", n: 1 } });
  });

  it("send: a wrong token exits 1 and prints the 401 problem", async () => {
    const run = await runHookrun(["send", url, "--token", `${TOKEN}x`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^401 Unauthorized in \d+ ms\n/);
    expect(JSON.parse(run.stdout.split("\n")[1]!)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("send: a body that is not JSON is refused with 400 invalid_json and exit 1", async () => {
    const run = await runHookrun(["send", url, "--token", TOKEN, "--data", "{not json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout.split("\n")[1]!)).toMatchObject({ status: 400, code: "invalid_json" });
  });
});

describe("hookrun token with a server configured by the digest", () => {
  let app: ExampleProcess;
  let token: string;
  beforeAll(async () => {
    const run = await runHookrun(["token", "--json"]);
    expect(run.code).toBe(0);
    const generated = JSON.parse(run.stdout) as { token: string; digest: string };
    token = generated.token;
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(32);
    expect(generated.digest).toBe(`sha256:${createHash("sha256").update(token, "utf8").digest("hex")}`);
    app = await startExpress(generated.digest);
  });
  afterAll(() => app?.stop());

  it("accepts the token (202) and refuses the digest itself as a token (401)", async () => {
    const url = `http://127.0.0.1:${app.port}/inbound-webhooks/demo`;
    const accepted = await runHookrun(["send", url, "--token", token]);
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    await app.runs.waitFor(acceptedRunId(accepted.stdout));
    const digest = `sha256:${createHash("sha256").update(token, "utf8").digest("hex")}`;
    const digestAsToken = await runHookrun(["send", url, "--token", digest]);
    expect(digestAsToken.code).toBe(1);
    expect(digestAsToken.stdout).toMatch(/^401 /);
  });

  it("the text output is two lines, token then digest, with the hint on stderr", async () => {
    const run = await runHookrun(["token"]);
    expect(run.code).toBe(0);
    const match = /^token: {2}([A-Za-z0-9_-]{43})\ndigest: (sha256:[0-9a-f]{64})\n$/.exec(run.stdout);
    expect(match).not.toBeNull();
    expect(match![2]).toBe(`sha256:${createHash("sha256").update(match![1]!).digest("hex")}`);
    expect(run.stderr).toContain(`bearer("${match![2]}")`);
  });
});
