import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { expectCompleteAnswers, sigtermUnderLoad, startServerProcess } from "../../../test/support/shutdown-load";

/**
 * examples/worker under SIGTERM: the ingress while 200 requests are in flight (every one answered,
 * every 202 stays in Redis, exit 0), then a worker in the middle of the backlog (exit 0, nothing
 * running is cut, the rest waits in Redis for the next worker, which runs it).
 */
const dir = fileURLToPath(new URL("../../../examples/worker", import.meta.url));
const redisUrl = inject("redisUrl");
const queue = `shutdown-${randomUUID()}`;
const redis = new Redis(redisUrl);
const key = (name: string) => `hookrun:${queue}:${name}`;

afterAll(async () => {
  const keys = await redis.keys(`hookrun:${queue}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
});

function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ["src/worker.js"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const ran: string[] = [];
  let output = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    output += `${line}\n`;
    ran.push((JSON.parse(line) as { runId: string }).runId);
  });
  child.stderr!.on("data", (data) => (output += data));
  return { child, ran, output: () => output };
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("examples/worker: SIGTERM under load", () => {
  it("ingress: 200 in flight all answered, every 202 kept in Redis; worker: exits 0 mid-backlog, the rest runs on the next", { timeout: 180_000 }, async () => {
    const env = { REDIS_URL: redisUrl, HOOKRUN_QUEUE: queue, HOOKRUN_WEBHOOK_TOKEN: "shutdown-token", WORKER_CONCURRENCY: "2" };
    const ingress = await startServerProcess(dir, "src/ingress.js", env);
    let accepted: string[];
    try {
      const result = await sigtermUnderLoad(ingress, "/inbound-webhooks/demo", "shutdown-token", 200);
      const counted = expectCompleteAnswers(result, 200);
      accepted = counted.accepted;
      expect(counted.refused).toBeGreaterThanOrEqual(100);
      expect(accepted.length).toBeGreaterThan(0);
    } finally {
      if (ingress.child.exitCode === null) ingress.child.kill("SIGKILL");
    }
    // No worker yet: every accepted job waits in Redis under the runId its 202 carried.
    expect((await redis.lrange(key("wait"), 0, -1)).sort()).toEqual([...accepted].sort());

    const first = startWorker(env);
    await waitUntil(() => first.ran.length >= 1, "the first worker's first run");
    const exited = once(first.child, "exit");
    first.child.kill("SIGTERM");
    const [code] = await exited;
    expect(code, first.output()).toBe(0);
    // Nothing was cut: no job left active or failed; what did not run waits for the next worker.
    expect(await redis.llen(key("active"))).toBe(0);
    expect(await redis.zcard(key("failed"))).toBe(0);
    const waiting = await redis.lrange(key("wait"), 0, -1);
    expect(new Set([...first.ran, ...waiting])).toEqual(new Set(accepted));

    const second = startWorker(env);
    try {
      await waitUntil(() => new Set([...first.ran, ...second.ran]).size === accepted.length, "every accepted run");
      expect([...first.ran, ...second.ran].sort()).toEqual([...accepted].sort());
      if (process.env.FAULTS_REPORT) console.info({ accepted: accepted.length, ranOnFirst: first.ran.length, ranOnSecond: second.ran.length });
    } finally {
      second.child.kill("SIGTERM");
      await once(second.child, "exit");
    }
  });
});
