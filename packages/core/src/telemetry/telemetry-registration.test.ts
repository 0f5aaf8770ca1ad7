import { bearer, createInboundWebhooks, type Agent } from "@hookrun/core";
import { afterAll, describe, expect, it } from "vitest";
import { registerTestOtel, type TestOtel } from "../../test/otel-sdk";
import { memoryLogger } from "../../../../test/support/in-process";

const TOKEN = "registration-token-0123456789";
let otel: TestOtel | undefined;
afterAll(() => otel?.shutdown());

describe("telemetry when the SDK is registered after createInboundWebhooks", () => {
  it('"auto" decided at creation that nothing records; true records through the SDK registered later', async () => {
    let ran = 0;
    const agent: Agent = () => void (ran += 1);
    const webhooks = [{ id: "alerts", auth: bearer(TOKEN), agent }];
    const auto = createInboundWebhooks({ webhooks, logger: memoryLogger() });
    const forced = createInboundWebhooks({ webhooks, logger: memoryLogger(), telemetry: true });
    otel = registerTestOtel();
    const post = { method: "POST", webhookId: "alerts", headers: { authorization: `Bearer ${TOKEN}` }, body: "{}" };

    const autoRunId = JSON.parse((await auto.handleInboundWebhook(post)).body).runId;
    const forcedRunId = JSON.parse((await forced.handleInboundWebhook(post)).body).runId;
    await auto.close();
    await forced.close();
    await new Promise((resolve) => setTimeout(resolve, 50)); // exports settle
    expect(ran).toBe(2);
    const byRun = (runId: string) => otel!.spans().filter((span) => span.attributes["hookrun.run.id"] === runId).map((span) => span.name);
    expect(byRun(autoRunId)).toEqual([]);
    expect(byRun(forcedRunId).sort()).toEqual(["process memory", "send memory"]);
    // Metrics too: one request and one run, the forced instance's.
    const metrics = (await otel.metrics()).scopeMetrics.flatMap((scope) => scope.metrics);
    const total = (name: string) => metrics.find((metric) => metric.descriptor.name === name)?.dataPoints.reduce((sum, point) => sum + Number(point.value), 0);
    expect(total("hookrun.requests")).toBe(1);
    expect(total("hookrun.runs")).toBe(1);
  });
});
