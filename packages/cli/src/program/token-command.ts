import { Command, Option } from "commander";
import { DEFAULT_TOKEN_BYTES, generateToken } from "../token/token";
import { EXIT, type CliIo } from "./io";
import { integer } from "./parse";

export function tokenCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command("token")
    .description("print a new random bearer token and the sha256: digest to put in config instead of the token")
    .addOption(new Option("--bytes <n>", `random bytes (at least ${DEFAULT_TOKEN_BYTES})`).default(DEFAULT_TOKEN_BYTES).argParser(integer))
    .option("--json", "print {\"token\", \"digest\"} as JSON")
    .action((options: { bytes: number; json?: boolean }) => {
      const generated = generateToken(options.bytes);
      if (options.json) {
        io.out(JSON.stringify(generated));
      } else {
        io.out(`token:  ${generated.token}`);
        io.out(`digest: ${generated.digest}`);
        io.err(`Give the token to the sender (Authorization: Bearer <token>); configure the server with bearer("${generated.digest}").`);
      }
      done(EXIT.ok);
    });
}
