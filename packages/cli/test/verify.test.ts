import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runHookrun } from "./run-cli";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// Every quoted string in a fixture that looks like a secret; none may ever be printed.
const SECRETS = readdirSync(fileURLToPath(new URL("./fixtures/", import.meta.url))).flatMap((name) =>
  [...readFileSync(fixture(name), "utf8").matchAll(/"([^"]*secret[^"]*|sha256:[0-9a-f]{64})"/g)].map((match) => match[1]!),
);

async function verify(name: string, ...flags: string[]) {
  const run = await runHookrun(["verify", fixture(name), ...flags]);
  for (const secret of SECRETS) expect(run.stdout + run.stderr).not.toContain(secret);
  return run;
}

describe("hookrun verify (process)", () => {
  it("finds secrets to check for in the fixtures", () => {
    expect(SECRETS.length).toBeGreaterThanOrEqual(10);
  });

  it("lists an ESM default export's webhooks, auth schemes and limits", async () => {
    const run = await verify("esm-default.mjs");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      [
        `${fixture("esm-default.mjs")} (export: default): valid`,
        "2 webhooks (default body limit 65536 bytes):",
        "  alerts  POST /inbound-webhooks/alerts  auth: bearer",
        "  ops.v2  POST /inbound-webhooks/ops.v2  auth: bearer or custom-hmac  max 4096 bytes",
        "",
      ].join("\n"),
    );
  });

  it("prints the same summary as JSON with --json", async () => {
    const run = await verify("esm-default.mjs", "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      path: fixture("esm-default.mjs"),
      exportName: "default",
      maxBodyBytes: 65536,
      webhooks: [
        { id: "alerts", schemes: ["bearer"], maxBodyBytes: 65536 },
        { id: "ops.v2", schemes: ["bearer", "custom-hmac"], maxBodyBytes: 4096 },
      ],
    });
  });

  it.each([
    ["cjs-exports.cjs", "default", "billing"],
    ["named-hooks.mjs", "hooks", "from-hooks"],
    ["named-webhooks.mjs", "webhooks", "named"],
  ])("reads %s through its %s export", async (name, exportName, id) => {
    const run = await verify(name, "--json");
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ exportName, maxBodyBytes: 1_048_576, webhooks: [{ id, schemes: ["bearer"], maxBodyBytes: 1_048_576 }] });
  });

  it("says a resolver function cannot be listed", async () => {
    const run = await verify("resolver.mjs");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("webhooks: resolved per request by a function; nothing to list");
  });

  it("exits even when the config module leaves a timer running", async () => {
    const run = await verify("open-handle.mjs");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  busy  POST /inbound-webhooks/busy  auth: bearer");
  });

  it.each([
    ["invalid-id.mjs", /^hookrun verify: invalid config in .*invalid-id\.mjs: invalid option `options\.webhooks\.0\.id`: expected 1-128 characters/],
    ["duplicate-id.mjs", /^hookrun verify: invalid config in .*duplicate-id\.mjs: invalid option `webhooks\.1\.id`: duplicate webhook id "same"/],
    ["bad-token.mjs", /^hookrun verify: could not load .*bad-token\.mjs: invalid option `bearer\(tokens\)\[0\]`: a token must be non-empty/],
    ["instance.mjs", /^hookrun verify: the `default` export is an instance from createInboundWebhooks\(\); export the options/],
    ["no-options.mjs", /^hookrun verify: .*no-options\.mjs exports no hookrun options: export the options for createInboundWebhooks as the default export/],
    ["throws.mjs", /^hookrun verify: could not load .*throws\.mjs: database unreachable while loading config/],
    ["missing.mjs", /^hookrun verify: no such file: .*missing\.mjs/],
  ])("exits 1 with a clear message for %s", async (name, message) => {
    const run = await verify(name);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });
});
