import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { freePort } from "./example-process";

/** One request's fate: a complete HTTP answer, or what went wrong on its connection. */
export interface LoadAnswer {
  status?: number;
  headers?: Record<string, string>;
  json?: Record<string, unknown>;
  /** A reset, or a connection closed before the full response. */
  error?: string;
}

export interface ShutdownResult {
  answers: LoadAnswer[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** From SIGTERM to exit. */
  exitMs: number;
  /** runIds the process printed (the demo agent's JSON lines), in order. */
  ranIds: string[];
  output: string;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  ranIds: string[];
  output(): string;
}

/** `node <script>` in `cwd` with PORT set, waiting until it accepts connections. */
export async function startServerProcess(cwd: string, script: string, env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], { cwd, env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
  const ranIds: string[] = [];
  let output = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    output += `${line}\n`;
    if (line.startsWith("{")) ranIds.push((JSON.parse(line) as { runId: string }).runId);
  });
  child.stderr!.on("data", (data) => (output += data));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`${script} did not listen on ${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, port, ranIds, output: () => output };
}

/**
 * `total` POSTs in flight at once, each on its own connection, then SIGTERM: half of them have sent
 * only part of their body when the signal comes (certainly in flight) and finish it after; the other
 * half were sent whole just before it. Every answer is read to its last byte.
 */
export async function sigtermUnderLoad(server: ServerProcess, path: string, token: string, total = 200): Promise<ShutdownResult> {
  const sockets: Array<{ socket: Socket; rest: Buffer; answer: Promise<LoadAnswer> }> = [];
  for (let i = 0; i < total; i++) {
    const body = Buffer.from(JSON.stringify({ event: "load", i, pad: "x".repeat(200) }));
    const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const split = i % 2 === 0 ? body.length >> 1 : body.length;
    const socket = connect(server.port, "127.0.0.1");
    socket.setNoDelay(true);
    const answer = readAnswer(socket);
    await once(socket, "connect");
    socket.write(Buffer.concat([Buffer.from(head), body.subarray(0, split)]));
    sockets.push({ socket, rest: body.subarray(split), answer });
  }
  // Let the server see the partial requests begin, then signal while they wait for the rest.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exited = once(server.child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const signalledAt = performance.now();
  server.child.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const { socket, rest } of sockets) if (rest.length > 0 && !socket.destroyed) socket.write(rest);
  const answers = await Promise.all(sockets.map(({ answer }) => answer));
  const [exitCode, signal] = await exited;
  const exitMs = performance.now() - signalledAt;
  for (const { socket } of sockets) socket.destroy();
  return { answers, exitCode, signal, exitMs, ranIds: server.ranIds, output: server.output() };
}

/** Reads one complete HTTP/1.1 response (Content-Length framed, as hookrun answers) off the socket. */
function readAnswer(socket: Socket): Promise<LoadAnswer> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (answer: LoadAnswer) => {
      if (done) return;
      done = true;
      resolve(answer);
    };
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const [statusLine, ...lines] = received.subarray(0, headEnd).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(":")).trim().toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
      const length = Number(headers["content-length"] ?? Number.NaN);
      if (!(received.length - headEnd - 4 >= length)) return;
      const text = received.subarray(headEnd + 4, headEnd + 4 + length).toString("utf8");
      finish({ status: Number(statusLine!.split(" ")[1]), headers, json: JSON.parse(text) as Record<string, unknown> });
    });
    socket.on("error", (error) => finish({ error: `${(error as NodeJS.ErrnoException).code ?? ""} ${error.message}` }));
    socket.on("close", () => finish({ error: `closed before a full response: ${JSON.stringify(received.toString("latin1").slice(0, 200))}` }));
  });
}

/** What every answer of a graceful shutdown must be: a `202` with a runId, or `503 shutting_down` with `Retry-After`. */
export function expectCompleteAnswers(result: ShutdownResult, total: number): { accepted: string[]; refused: number } {
  expect(result.answers.filter((answer) => answer.error !== undefined).map((answer) => answer.error)).toEqual([]);
  expect(result.answers).toHaveLength(total);
  const accepted: string[] = [];
  let refused = 0;
  for (const answer of result.answers) {
    if (answer.status === 202) {
      expect(answer.json).toMatchObject({ status: "accepted" });
      accepted.push(answer.json!.runId as string);
    } else {
      expect(answer.status).toBe(503);
      expect(answer.json, result.output).toMatchObject({ status: 503, code: "shutting_down" });
      expect(answer.headers!["retry-after"]).toMatch(/^\d+$/);
      refused += 1;
    }
  }
  expect(result.signal).toBeNull();
  expect(result.exitCode, result.output).toBe(0);
  return { accepted, refused };
}

/**
 * SIGTERM to a memoryRunner example while 200 requests are in flight: every request gets a complete
 * answer, no connection is reset, every accepted run ran before the process exited 0.
 */
export function describeShutdownUnderLoad(name: string, dir: string, script = "src/server.js"): void {
  describe(`${name} example: SIGTERM under load`, () => {
    it("answers all 200 requests in flight (202 or 503 shutting_down), runs every accepted one, exits 0", { timeout: 120_000 }, async () => {
      const server = await startServerProcess(dir, script, { HOOKRUN_WEBHOOK_TOKEN: "shutdown-token" });
      try {
        const result = await sigtermUnderLoad(server, "/inbound-webhooks/demo", "shutdown-token", 200);
        const { accepted, refused } = expectCompleteAnswers(result, 200);
        // The partial requests could only finish after the signal: those at least were refused.
        expect(refused).toBeGreaterThanOrEqual(100);
        expect(new Set(result.ranIds)).toEqual(new Set(accepted));
        if (process.env.FAULTS_REPORT) console.info({ name, accepted: accepted.length, refused, exitMs: Math.round(result.exitMs) });
      } finally {
        if (server.child.exitCode === null) server.child.kill("SIGKILL");
      }
    });
  });
}
