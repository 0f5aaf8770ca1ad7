import { Command } from "commander";
import { HookrunConfigError } from "@hookrun/core";
import { checkConfig, formatSummary } from "../verify/describe-config";
import { ConfigLoadError, loadConfig } from "../verify/load-config";
import { EXIT, type CliIo } from "./io";

export function verifyCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command("verify")
    .description("load a config module, validate it as createInboundWebhooks does, and list its webhooks and auth schemes (never secrets)")
    .argument("<config-module>", "a .js/.mjs/.cjs file whose default export (or `hooks` export) is the options, or whose `webhooks` export is the list")
    .option("--json", "print the summary as JSON")
    .action(async (modulePath: string, options: { json?: boolean }) => {
      try {
        const summary = await checkConfig(await loadConfig(modulePath));
        io.out(options.json ? JSON.stringify(summary) : formatSummary(summary));
        done(EXIT.ok);
      } catch (error) {
        // Duck-typed too: the config may have imported its own copy of @hookrun/core.
        if (error instanceof HookrunConfigError || (error as Error)?.name === "HookrunConfigError") {
          io.err(`hookrun verify: invalid config in ${modulePath}: ${(error as Error).message.replace(/^hookrun: /, "")}`);
        } else if (error instanceof ConfigLoadError) {
          io.err(`hookrun verify: ${error.message}`);
        } else {
          throw error;
        }
        done(EXIT.rejected);
      }
    });
}
