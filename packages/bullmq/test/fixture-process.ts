import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
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

/** A running fixture process and what it has printed. */
export interface Fixture {
  child: ChildProcess;
  /** Its first stdout line, parsed as JSON ({"ready":true}, {"port":N}, ...). */
  hello: Record<string, unknown>;
  /** Resolves with the first stdout JSON line that has `key`; rejects with its stderr if it exits first. */
  next(key: string): Promise<Record<string, unknown>>;
}

/**
 * Starts a bundled fixture (added to `children`, for the test to kill) and resolves once it has
 * printed its first stdout line (one JSON object a line); rejects with its stderr if it exits first.
 */
export async function startFixture(script: string, env: Record<string, string>, children: Set<ChildProcess>): Promise<Fixture> {
  const child = spawn(process.execPath, [script], { cwd: dirname(script), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = once(child, "exit");
  async function first(match: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    for (;;) {
      const found = lines.find(match);
      if (found) return found;
      await Promise.race([
        new Promise<void>((resolve) => waiters.push(resolve)),
        exited.then(([code]) => {
          throw new Error(`fixture exited with ${code} before printing ${what}: ${stderr}`);
        }),
      ]);
    }
  }
  const hello = await first(() => true, "a line");
  return { child, hello, next: (key) => first((line) => key in line, key) };
}

/** Kills the process with SIGKILL (no clean-up of any kind) and resolves once it has exited. */
export function kill9(child: ChildProcess): Promise<unknown> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  return exited;
}

/** SIGKILLs every fixture still in `children` and forgets them all. */
export function killAll(children: Set<ChildProcess>): void {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
}
