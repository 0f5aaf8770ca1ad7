import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./example-process";

/** A Redis the tests may use, and how to stop it (a no-op for a REDIS_URL given from outside). */
export interface TestRedis {
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * REDIS_URL when set; otherwise a fresh `redis-server` on a free port, without persistence, that
 * `stop()` kills. Fails with a clear message when redis-server is not installed
 * (scripts/ensure-redis.sh installs it).
 */
export async function startTestRedis(env: NodeJS.ProcessEnv = process.env): Promise<TestRedis> {
  if (env.REDIS_URL) {
    const { hostname, port } = new URL(env.REDIS_URL);
    return { url: env.REDIS_URL, host: hostname, port: Number(port || 6379), stop: async () => {} };
  }
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once("error", (error) => reject(new Error(`cannot start redis-server (run scripts/ensure-redis.sh): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited with code ${code} before accepting connections`)));
  });
  await Promise.race([waitForPing("127.0.0.1", port), spawnError]);
  return { url: `redis://127.0.0.1:${port}`, host: "127.0.0.1", port, stop: () => stopChild(child) };
}

async function waitForPing(host: string, port: number, deadline = Date.now() + 10_000): Promise<void> {
  while (Date.now() < deadline) {
    if (await ping(host, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

function ping(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let answer = "";
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) {
        socket.destroy();
        resolve(answer.startsWith("+PONG"));
      }
    });
    socket.once("error", () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
