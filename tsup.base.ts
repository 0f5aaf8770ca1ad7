import type { Options } from "tsup";

/** How every published package builds: ESM + CJS + .d.ts for Node 20, one file per entry. */
export function packageBuild(entry: Record<string, string> = { index: "src/index.ts" }): Options {
  return { entry, format: ["esm", "cjs"], dts: true, clean: true, sourcemap: true, target: "node20" };
}
