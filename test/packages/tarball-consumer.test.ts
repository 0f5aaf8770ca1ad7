import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackages, publicPackages } from "../../scripts/packages.mjs";
import { consumerScript } from "./consumer-script";

const run = promisify(execFile);
const packages = publicPackages();
const names = packages.map((pkg) => pkg.name);
const ADAPTERS = ["@hookrun/express", "@hookrun/koa", "@hookrun/next"];
const VIAS = ["core", "node", "fetch", "express", "koa", "next"];

interface ConsumerReport {
  exportsOf: Record<string, string[]>;
  status: Record<string, number>;
  envelopes: Array<{ page: string; inboundWebhookId: string; payload: { via: string } }>;
  cliDigest: string;
  sameCore: Record<string, boolean>;
  bullmqDeduplicationId: string | null;
  dashboard: { page: number; script: [number, string, boolean]; runs: boolean };
  telemetryTrue: string;
}

/**
 * The peers an app would install next to the packages (express, koa, bullmq, ioredis...), at the
 * ranges the packages declare. Not next: its adapter only uses Fetch types, and next is ~100 MB.
 * Not the optional ones (@opentelemetry/api): every package must load and serve without them.
 */
function peerInstalls(): string[] {
  const peers = new Map<string, string>();
  for (const pkg of packages) {
    const manifest = JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8")) as {
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
      if (name !== "next" && !manifest.peerDependenciesMeta?.[name]?.optional) peers.set(name, range);
    }
  }
  return [...peers].map(([name, range]) => `${name}@${range}`);
}

/**
 * A scratch npm project that installs the packed tarballs (not the workspace links) all at once, so
 * the adapters' `@hookrun/core` dependency resolves to the core tarball, then requires and imports
 * every package. Needs the build (`pnpm build`) and npm's registry or cache for zod and commander.
 */
describe("packed tarballs in a fresh npm consumer project", () => {
  let dir: string;
  const reports: Partial<Record<"cjs" | "esm", ConsumerReport>> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookrun-consumer-"));
    await mkdir(join(dir, "tarballs"));
    const packed = packPackages(join(dir, "tarballs"), packages);
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "hookrun-consumer", version: "1.0.0", private: true }));
    // --legacy-peer-deps: install exactly the peers listed, not every peer's peers (next).
    const args = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--legacy-peer-deps", "--ignore-scripts"];
    await run("npm", [...args, ...packed.map((pkg) => pkg.tarball), ...peerInstalls()], {
      cwd: dir,
      env: { ...process.env, npm_config_loglevel: "error" },
    });
    for (const format of ["cjs", "esm"] as const) {
      const file = join(dir, `consumer.${format === "cjs" ? "cjs" : "mjs"}`);
      await writeFile(file, consumerScript(format, names));
      // No NODE_PATH: pnpm's bin shims set one to the workspace's hoisted packages, which a fresh app lacks.
      const { stdout } = await run(process.execPath, [file], { cwd: dir, env: { ...process.env, NODE_PATH: "" } });
      reports[format] = JSON.parse(stdout) as ConsumerReport;
    }
  }, 120_000);
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it("packs every public package, cli and the adapters included", () => {
    expect(names).toEqual(expect.arrayContaining(["@hookrun/core", "@hookrun/cli", "@hookrun/bullmq", ...ADAPTERS]));
  });

  it("installs @hookrun/core once, from its tarball, for every adapter", async () => {
    const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string; version?: string }> };
    for (const name of names) expect(lock.packages[`node_modules/${name}`]?.resolved, name).toMatch(/^file:tarballs\/.*\.tgz$/);
    const nestedCores = Object.keys(lock.packages).filter((path) => path.endsWith("/node_modules/@hookrun/core"));
    expect(nestedCores).toEqual([]);
  });

  it.each(["cjs", "esm"] as const)("%s: every entry point answers a real request with 202 and the agent gets the exact envelope", (format) => {
    const report = reports[format]!;
    expect(report.status).toEqual(Object.fromEntries(VIAS.map((via) => [via, 202])));
    const byVia = [...report.envelopes].sort((a, b) => a.payload.via.localeCompare(b.payload.via));
    expect(byVia).toEqual([...VIAS].sort().map((via) => ({ page: "inbound_webhook", inboundWebhookId: "demo", payload: { via } })));
  });

  it.each(["cjs", "esm"] as const)("%s: the adapters re-export the one installed core, and the cli digests tokens", (format) => {
    const report = reports[format]!;
    expect(report.sameCore).toEqual({ express: true, koa: true, next: true });
    expect(report.cliDigest).toBe(`sha256:${createHash("sha256").update("tok").digest("hex")}`);
  });

  it("loads @hookrun/bullmq with its peers (bullmq, ioredis) in both formats", () => {
    const expected = `demo.${createHash("sha256").update("demo").update("\n").update("dlv-1").digest("base64url")}`;
    expect([reports.cjs!.bullmqDeduplicationId, reports.esm!.bullmqDeduplicationId]).toEqual([expected, expected]);
  });

  it.each(["cjs", "esm"] as const)("%s: @hookrun/dashboard serves its page, its script and the runs from the installed package", (format) => {
    expect(reports[format]!.dashboard).toEqual({ page: 200, script: [200, "text/javascript; charset=utf-8", true], runs: true });
  });

  it("serves without the optional peer @opentelemetry/api (not installed), and telemetry: true then names the option", async () => {
    await expect(readFile(join(dir, "node_modules", "@opentelemetry", "api", "package.json"))).rejects.toThrow(/ENOENT/);
    expect([reports.cjs!.telemetryTrue, reports.esm!.telemetryTrue]).toEqual(["options.telemetry", "options.telemetry"]);
  });

  it("require() and import() expose the same names for every package", () => {
    for (const name of names) {
      expect(reports.cjs!.exportsOf[name], name).toEqual(reports.esm!.exportsOf[name]);
      expect(reports.esm!.exportsOf[name]!.length, name).toBeGreaterThan(0);
    }
  });

  it("installs a working `hookrun` bin that verifies a config using the installed core", async () => {
    const bin = join(dir, "node_modules", ".bin", "hookrun");
    const token = JSON.parse((await run(bin, ["token", "--json"], { cwd: dir })).stdout) as { token: string; digest: string };
    expect(token.digest).toBe(`sha256:${createHash("sha256").update(token.token).digest("hex")}`);
    await writeFile(
      join(dir, "hookrun.config.cjs"),
      `const { bearer } = require("@hookrun/core");\nmodule.exports = { webhooks: [{ id: "alerts", auth: bearer(${JSON.stringify(token.digest)}), agent: () => {} }] };\n`,
    );
    const { stdout } = await run(bin, ["verify", "hookrun.config.cjs"], { cwd: dir });
    expect(stdout).toContain("  alerts  POST /inbound-webhooks/alerts  auth: bearer");
    expect(stdout).not.toContain(token.digest);
  });
});
