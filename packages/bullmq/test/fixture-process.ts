import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const source = (pkg: string, entry = "index") => fileURLToPath(new URL(`../../${pkg}/src/${entry}.ts`, import.meta.url));

/**
 * Bundles a fixture process with hookrun from source, as the vitest aliases resolve it (so a child
 * process never runs a stale dist/). `external` packages stay imports, resolved at run time.
 */
export async function bundleFixture(entry: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["bullmq", "ioredis", ...external],
    alias: {
      "@hookrun/core/node": source("core", "node/index"),
      "@hookrun/core": source("core"),
      "@hookrun/bullmq": source("bullmq"),
      "@hookrun/ai/test": source("ai", "test/index"),
      "@hookrun/ai": source("ai"),
    },
    logLevel: "error",
  });
}

/**
 * Starts a bundled fixture (added to `children`, for the test to kill) and resolves with its first
 * stdout line, parsed as JSON; rejects with its stderr if it exits first.
 */
export async function startFixture(
  script: string,
  env: Record<string, string>,
  children: Set<ChildProcess>,
): Promise<{ child: ChildProcess; hello: Record<string, unknown> }> {
  const child = spawn(process.execPath, [script], { cwd: dirname(script), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const [line] = (await Promise.race([
    once(child.stdout!, "data"),
    once(child, "exit").then(([code]) => {
      throw new Error(`fixture exited with ${code}: ${stderr}`);
    }),
  ])) as [Buffer];
  return { child, hello: JSON.parse(line.toString().split("\n")[0]!) as Record<string, unknown> };
}
