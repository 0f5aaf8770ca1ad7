import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { RunLog } from "./recorder";

export interface ExampleProcess {
  port: number;
  runs: RunLog;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** SIGTERM to the process group (SIGKILL after 10 s); resolves once the process has exited. */
  stop(): Promise<void>;
  /** How the process ended: its exit code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Starts an example as its README does (`pnpm start` runs the package's start script), in its own
 * process group, and waits until it answers HTTP. Agent runs are read from the JSON lines on stdout.
 */
export async function startExample(cwd: string, command: string, env: Record<string, string>): Promise<ExampleProcess> {
  const port = await freePort();
  const child = spawn("sh", ["-c", command], {
    cwd,
    detached: true,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const runs = new RunLog();
  let output = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    output += `${line}\n`;
    if (!line.startsWith("{")) return;
    const parsed = JSON.parse(line) as { runId?: string; envelope?: never };
    if (parsed.runId && parsed.envelope) runs.record({ runId: parsed.runId, envelope: parsed.envelope });
  });
  child.stderr!.on("data", (data) => (output += data));
  await waitUntilServing(port, child, () => output);
  return { port, runs, output: () => output, stop: () => stopGroup(child), exited };
}

async function waitUntilServing(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`example exited with ${child.exitCode}:\n${output()}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`example did not listen on ${port}:\n${output()}`);
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  process.kill(-child.pid!, "SIGTERM");
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
