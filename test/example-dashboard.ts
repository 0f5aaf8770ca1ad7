import { expect, it } from "vitest";
import { launchChromium } from "../packages/dashboard/test/support/browser";
import type { ExampleProcess } from "./support/example-process";

/**
 * The README's demo, as a person does it: the example prints the dashboard URL and a generated
 * token; a browser signs in with it, sees the run a curl started, opens it and replays it.
 */
export function describeExampleDashboard(app: () => ExampleProcess, webhookId: string): void {
  it("mounts the dashboard at /hookrun behind a generated token: a browser sees the curl's run and replays it", async () => {
    const output = app().output();
    const token = /dashboard token \(generated for this run\): (\S+)/.exec(output)?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(output).toContain(`dashboard: http://localhost:${app().port}/hookrun/`);
    const webhookToken = /^token \(generated for this run\): (\S+)/m.exec(output)![1]!;
    const origin = `http://127.0.0.1:${app().port}`;
    expect((await fetch(`${origin}/hookrun/`)).status).toBe(401);
    const accepted = await fetch(`${origin}/inbound-webhooks/${webhookId}`, { method: "POST", headers: { authorization: `Bearer ${webhookToken}` }, body: '{"event":"x"}' });
    const { runId } = (await accepted.json()) as { runId: string };
    await app().runs.waitFor(runId);

    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ httpCredentials: { username: "me", password: token! } });
      const page = await context.newPage();
      await page.goto(`${origin}/hookrun/`);
      await page.locator(`[data-run-id="${runId}"] a`).click();
      await page.getByTestId("log-line").first().waitFor();
      expect(await page.getByTestId("log-line").first().textContent()).toContain("demo agent received the envelope");
      expect(await page.getByTestId("payload").textContent()).toContain('"event": "x"');
      await page.getByTestId("replay").click();
      await page.getByTestId("replay-of").waitFor();
      expect(await page.getByTestId("replay-of").textContent()).toBe(`Replay of ${runId}`);
      const replayId = (await page.getByTestId("run-id").textContent())!;
      const replayed = await app().runs.waitFor(replayId);
      expect(replayed.envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: webhookId, payload: { event: "x" } });
    } finally {
      await browser.close();
    }
  });
}
