import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startExample, type ExampleProcess } from "../../../test/support/example-process";
import { RunLog } from "../../../test/support/recorder";

/**
 * examples/worker as its README runs it (after the root build): an Express ingress process and two
 * worker processes sharing one Redis queue. Every run happens in a worker, never in the ingress.
 */
const dir = fileURLToPath(new URL("../../../examples/worker", import.meta.url));
const redisUrl = inject("redisUrl");
const queue = `example-${randomUUID()}`;
const stops: Array<() => Promise<unknown> | void> = [];

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`hookrun:${queue}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function startWorker(env: Record<string, string>): { runs: RunLog; output: () => string } {
  const child = spawn(process.execPath, ["src/worker.js"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const runs = new RunLog();
  let output = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    output += `${line}\n`;
    const parsed = JSON.parse(line) as { runId: string; envelope: never };
    runs.record({ runId: parsed.runId, envelope: parsed.envelope });
  });
  child.stderr!.on("data", (data) => (output += data));
  stops.push(async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  });
  return { runs, output: () => output };
}

describe("examples/worker", () => {
  it("an Express ingress enqueues, two worker processes run the demo agent with the exact envelope", async () => {
    const env = { REDIS_URL: redisUrl, HOOKRUN_QUEUE: queue, HOOKRUN_WEBHOOK_TOKEN: "example-token" };
    const ingress: ExampleProcess = await startExample(dir, "node src/ingress.js", env);
    stops.push(() => ingress.stop());
    const workers = [startWorker(env), startWorker(env)];
    const accepted: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${ingress.port}/inbound-webhooks/demo`, {
        method: "POST",
        headers: { authorization: "Bearer example-token", "idempotency-key": `ex-${i}` },
        body: JSON.stringify({ i }),
      });
      expect(res.status).toBe(202);
      accepted.push(((await res.json()) as { runId: string }).runId);
    }
    const replay = await fetch(`http://127.0.0.1:${ingress.port}/inbound-webhooks/demo`, {
      method: "POST",
      headers: { authorization: "Bearer example-token", "idempotency-key": "ex-0" },
      body: "{}",
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as { runId: string }).runId).toBe(accepted[0]);
    for (const [i, runId] of accepted.entries()) {
      const run = await Promise.any(workers.map((worker) => worker.runs.waitFor(runId, 15_000)));
      expect(run.envelope).toStrictEqual({ page: "inbound_webhook", inboundWebhookId: "demo", payload: { i } });
    }
    expect(workers[0]!.runs.size + workers[1]!.runs.size).toBe(20);
    expect(ingress.runs.size).toBe(0);
  });
});
