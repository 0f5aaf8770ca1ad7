import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describeExample } from "../../../test/example-contract";

const dir = fileURLToPath(new URL("..", import.meta.url));
const nextBin = createRequire(`${dir}/package.json`).resolve("next/dist/bin/next");

// A real production build, served by `next start` through the example's `pnpm start`.
async function nextBuild(): Promise<void> {
  await promisify(execFile)(process.execPath, [nextBin, "build"], { cwd: dir, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
}

describeExample("next", dir, { build: nextBuild, nodeAdapter: false });
