import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./example-process";

const run = promisify(execFile);

/** A redis-server the test owns: killed with `kill -9` and restarted on the same port and data dir. */
export interface RedisProcess {
  port: number;
  url: string;
  /** SIGKILL, as a crash or the OOM killer would; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its connections open but answers nothing (hung, swapped out). */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port with the same data (the AOF), and waits until it answers. */
  restart(): Promise<void>;
  /** Kills it and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * A redis-server on a free port with persistence as production runs it: AOF on (`appendfsync
 * everysec`), in a temporary data dir. `args` adds to the command line (`--requirepass x`, cluster
 * options).
 */
export async function startRedisProcess(args: string[] = [], port?: number): Promise<RedisProcess> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "hookrun-redis-"));
  const argv = ["--port", String(chosen), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "everysec", ...args];
  let child: ChildProcess = await spawnRedis(argv, chosen, args);
  const kill9 = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  };
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    kill9,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async restart() {
      await kill9();
      child = await spawnRedis(argv, chosen, args);
    },
    async stop() {
      await kill9();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function spawnRedis(argv: string[], port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn("redis-server", argv, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (error) => reject(new Error(`cannot start redis-server (run scripts/ensure-redis.sh): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
  const password = args[args.indexOf("--requirepass") + 1];
  await Promise.race([waitForRedis(port, args.includes("--requirepass") ? password : undefined), failed]);
  child.removeAllListeners("exit");
  return child;
}

async function waitForRedis(port: number, password: string | undefined, deadline = Date.now() + 20_000): Promise<void> {
  const auth = password === undefined ? [] : ["--no-auth-warning", "-a", password];
  while (Date.now() < deadline) {
    // LOADING while the AOF is read back: not ready until PING answers PONG.
    const answer = await run("redis-cli", ["-p", String(port), ...auth, "ping"], { timeout: 5_000 }).then(
      ({ stdout }) => stdout.trim(),
      () => "",
    );
    if (answer === "PONG") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on ${port} did not answer PING within 20 s`);
}

/** A Redis Cluster of `size` masters (no replicas) on free ports, slots assigned, ready for clients. */
export interface RedisCluster {
  nodes: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const nodes: RedisProcess[] = [];
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      nodes.push(await startRedisProcess(["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "5000"], port));
    }
    await run("redis-cli", ["--cluster", "create", ...nodes.map((node) => `127.0.0.1:${node.port}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 60_000 });
    // `create` returns once slots are assigned; wait until every node agrees the cluster is up.
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await run("redis-cli", ["-p", String(node.port), "cluster", "info"]);
        if (/cluster_state:ok/.test(stdout)) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${node.port} never reached cluster_state:ok:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    nodes: nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
    stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))),
  };
}
