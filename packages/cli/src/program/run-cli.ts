import { Command, CommanderError } from "commander";
import { EXIT, UsageError, processIo, type CliIo } from "./io";
import { sendCommand } from "./send-command";
import { tokenCommand } from "./token-command";
import { verifyCommand } from "./verify-command";

declare const __HOOKRUN_CLI_VERSION__: string | undefined;

/**
 * Runs the `hookrun` command line and resolves with the exit code (see {@link EXIT}); never calls
 * `process.exit` itself.
 *
 * @param argv - as `process.argv`: node, the script, then the arguments.
 * @example
 * ```ts
 * process.exitCode = await runCli(["node", "hookrun", "token", "--json"]);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const done = (exitCode: number) => (code = exitCode);
  const program = new Command("hookrun")
    .description("Send test deliveries to hookrun endpoints, generate tokens, and check a webhooks config.")
    .version(typeof __HOOKRUN_CLI_VERSION__ === "string" ? __HOOKRUN_CLI_VERSION__ : "0.0.0-dev")
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  for (const command of [tokenCommand(io, done), sendCommand(io, done), verifyCommand(io, done)]) {
    program.addCommand(command.exitOverride().configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) }));
  }
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError || error instanceof RangeError) {
      io.err(`hookrun: ${error.message}`);
      return EXIT.usage;
    }
    throw error;
  }
}
