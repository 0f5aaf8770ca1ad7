import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };
const define = { __HOOKRUN_CLI_VERSION__: JSON.stringify(version) };

export default defineConfig([
  // The library entry (runCli, signing helpers, token generation) for either module system.
  { entry: { index: "src/index.ts" }, format: ["esm", "cjs"], dts: true, sourcemap: true, target: "node20", define },
  // The `hookrun` binary: ESM only, run by node directly.
  { entry: { cli: "src/cli.ts" }, format: ["esm"], sourcemap: true, target: "node20", define, banner: { js: "#!/usr/bin/env node" } },
]);
