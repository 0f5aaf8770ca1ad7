import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base";

// shims: the telemetry loader's import.meta.url, in the CJS build too.
export default defineConfig({ ...packageBuild({ index: "src/index.ts", node: "src/node/index.ts", fetch: "src/fetch/index.ts" }), shims: true });
