import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { describeExample } from "../../../test/example-contract";
import { startExample } from "../../../test/support/example-process";

const dir = fileURLToPath(new URL("..", import.meta.url));
const nextBin = createRequire(`${dir}/package.json`).resolve("next/dist/bin/next");

// A real production build, served by `next start` through the example's `pnpm start`; built once for the file.
let built: Promise<void> | undefined;
const nextBuild = (): Promise<void> =>
  (built ??= promisify(execFile)(process.execPath, [nextBin, "build"], { cwd: dir, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } }).then(() => {}));

describeExample("next", dir, { build: nextBuild, nodeAdapter: false });

describe("next example: SIGTERM under next start", () => {
  it("lets a run in progress finish (its stdout line) before the process exits, through after()", async () => {
    await nextBuild();
    // `exec`: the process observed is scripts/start.mjs itself, which exits with next start's code.
    const app = await startExample(dir, "exec node scripts/start.mjs", {
      HOOKRUN_WEBHOOK_TOKEN: "sigterm-token",
      // Each run works 3 s before writing its line: SIGTERM arrives while it is running.
      HOOKRUN_DEMO_AGENT_DELAY_MS: "3000",
    });
    const response = await fetch(`http://127.0.0.1:${app.port}/inbound-webhooks/demo`, {
      method: "POST",
      headers: { authorization: "Bearer sigterm-token" },
      body: '{"event":"sigterm"}',
    });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(app.runs.size).toBe(0);

    const stopping = app.stop();
    const line = await app.runs.waitFor(runId, 9_000);
    expect(line.envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: "demo", payload: { event: "sigterm" } });
    await stopping;
    // next start's own SIGTERM exit (143), passed on by scripts/start.mjs: not our 10 s SIGKILL.
    expect(await app.exited).toEqual({ code: 143, signal: null });
    expect(app.output().indexOf(runId)).toBeGreaterThan(-1);
  });
});
