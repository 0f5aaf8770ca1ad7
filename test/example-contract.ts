import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeAdapterContract } from "./adapter-contract";
import { describeExampleDashboard } from "./example-dashboard";
import { startExample, type ExampleProcess } from "./support/example-process";

const run = promisify(execFile);

export interface ExampleOptions {
  /** A build the example needs before `pnpm start` (e.g. `next build`), run once. */
  build?: () => Promise<void>;
  nodeAdapter: boolean;
}

/**
 * End-to-end checks of one example app, started as a process the way `pnpm start` starts it: the
 * examples' contract (PORT, HOOKRUN_WEBHOOK_ID, HOOKRUN_WEBHOOK_TOKEN, one JSON line per run), the
 * README's curl command, and the whole adapter contract against the running app.
 */
export function describeExample(name: string, dir: string, options: ExampleOptions): void {
  const { scripts } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { scripts: { start: string } };
  const env = (extra: Record<string, string>) => ({ PATH: `${join(dir, "node_modules/.bin")}:${process.env.PATH}`, ...extra });
  let built: Promise<void> | undefined;
  const start = async (extra: Record<string, string>) => {
    built ??= options.build?.() ?? Promise.resolve();
    await built;
    return startExample(dir, scripts.start, env(extra));
  };

  describe(`${name} example`, () => {
    describe("with a generated token and a custom id", () => {
      let app: ExampleProcess;
      beforeAll(async () => {
        app = await start({ HOOKRUN_WEBHOOK_ID: "alerts", HOOKRUN_WEBHOOK_TOKEN: "", HOOKRUN_DASHBOARD_TOKEN: "" });
      });
      afterAll(() => app?.stop());
      describeExampleDashboard(() => app, "alerts");

      it("prints the URL, id and a generated token, and the README's curl answers 202 with the agent's line", async () => {
        const token = /token \(generated for this run\): (\S+)/.exec(app.output())?.[1];
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(app.output()).toContain(`http://localhost:${app.port}/inbound-webhooks/alerts`);
        const { stdout } = await run("curl", [
          "-s",
          "-X",
          "POST",
          `http://127.0.0.1:${app.port}/inbound-webhooks/alerts`,
          "-H",
          `Authorization: Bearer ${token}`,
          "-d",
          '{"event":"x"}',
        ]);
        const accepted = JSON.parse(stdout) as { status: string; runId: string; inboundWebhookId: string };
        expect(accepted).toEqual({ status: "accepted", runId: accepted.runId, inboundWebhookId: "alerts" });
        const line = await app.runs.waitFor(accepted.runId);
        expect(line.envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: "alerts", payload: { event: "x" } });
      });

      it("serves its readiness at /healthz: 200 with hooks.health() as JSON", async () => {
        const response = await fetch(`http://127.0.0.1:${app.port}/healthz`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        expect(await response.json()).toStrictEqual({ ready: true, closing: false, runner: { ok: true } });
      });
    });

    describeAdapterContract(`${name} example (pnpm start)`, async () => {
      const app = await start({ HOOKRUN_WEBHOOK_ID: "demo", HOOKRUN_WEBHOOK_TOKEN: "example-contract-token" });
      return { port: app.port, webhookId: "demo", token: "example-contract-token", runs: app.runs, nodeAdapter: options.nodeAdapter, close: app.stop };
    });
  });
}
