import { fork } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const READY_TIMEOUT_MS = 20_000;

/** Starts one server in its own child process and resolves once it listens. */
export function startServer(name, { execArgv = [] } = {}) {
  const file = new URL(`./servers/${name}.js`, import.meta.url);
  const child = fork(file, [], { execArgv, stdio: ["ignore", "inherit", "pipe", "ipc"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}${stderr ? `\n${stderr.trim()}` : ""}`));
    };
    child.once("exit", (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before it listened`)));
    child.on("message", function onReady(message) {
      if (message?.type !== "ready") return;
      clearTimeout(timer);
      child.off("message", onReady);
      child.removeAllListeners("exit");
      resolve(new ServerProcess(name, child, message.port, () => stderr));
    });
  });
}

export class ServerProcess {
  constructor(name, child, port, stderr) {
    this.name = name;
    this.child = child;
    this.port = port;
    this.stderr = stderr;
  }

  /** Resets the kernel's peak-RSS mark (Linux), so the next `peakRss()` covers only what follows. */
  resetPeak() {
    try {
      writeFileSync(`/proc/${this.child.pid}/clear_refs`, "5");
      return true;
    } catch {
      return false;
    }
  }

  /** Current RSS in bytes. */
  async rss() {
    const status = procStatus(this.child.pid);
    if (status) return status.VmRSS;
    return (await this.ask()).rss;
  }

  /** Peak RSS in bytes: VmHWM from /proc when there is one, else the child's own 10 ms sampling. */
  async peakRss() {
    const status = procStatus(this.child.pid);
    if (status) return status.VmHWM;
    return (await this.ask()).peakRss;
  }

  /** CPU time (user + system) the server process has used so far, in microseconds. */
  async cpuMicros() {
    const { cpu } = await this.ask("cpu");
    return cpu.user + cpu.system;
  }

  ask(type = "peak", extra = {}) {
    return new Promise((resolve) => {
      const onMessage = (message) => {
        if (message?.type !== type) return;
        this.child.off("message", onMessage);
        resolve(message);
      };
      this.child.on("message", onMessage);
      this.child.send({ type, ...extra });
    });
  }

  /** Asks the child to exit (so `--cpu-prof` writes its profile); kills it if it does not. */
  stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      this.child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.send({ type: "exit" });
    });
  }
}

function procStatus(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  return { VmRSS: kb("VmRSS"), VmHWM: kb("VmHWM") };
}
