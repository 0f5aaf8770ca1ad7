import { runCli } from "./program/run-cli";

runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
    // A verified config module may leave timers or sockets open; they must not keep the CLI alive.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error: unknown) => {
    process.stderr.write(`hookrun: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70);
  },
);
