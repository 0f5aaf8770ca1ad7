import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { InboundWebhooksOptions } from "@hookrun/core";

/** The export names looked at, in this order. */
export const CONFIG_EXPORTS = ["default", "hooks", "webhooks"] as const;

/** A config module's options and where they were found. */
export interface LoadedConfig {
  path: string;
  exportName: (typeof CONFIG_EXPORTS)[number];
  options: InboundWebhooksOptions;
}

/** The config could not be loaded or does not hold hookrun options; the message says what to fix. */
export class ConfigLoadError extends Error {
  override readonly name = "ConfigLoadError";
}

/**
 * Imports a config module (ESM or CommonJS, by Node's usual rules) and finds the options for
 * `createInboundWebhooks` in it:
 *
 * - the default export (`export default {...}` or `module.exports = {...}`), else a named export
 *   `hooks`, holding the options object `{ webhooks, maxBodyBytes?, ... }`;
 * - or a named export `webhooks` holding the webhook list (or resolver function) alone.
 *
 * A default or `hooks` export that is itself a list is read as the webhook list.
 */
export async function loadConfig(modulePath: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const path = resolve(cwd, modulePath);
  if (!existsSync(path)) throw new ConfigLoadError(`no such file: ${path}`);
  const namespace = await importModule(path);
  for (const exportName of CONFIG_EXPORTS) {
    const options = asOptions(namespace[exportName], exportName);
    if (options) return { path, exportName, options };
  }
  throw new ConfigLoadError(
    `${path} exports no hookrun options: export the options for createInboundWebhooks as the default export ` +
      "(or a named export `hooks`), or the webhook list as a named export `webhooks`",
  );
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = /\.[cm]?tsx?$/.test(path) ? " (TypeScript configs need a loader: run `node --import tsx $(which hookrun) verify ...` or compile the config first)" : "";
    const reason = error instanceof Error ? error.message.replace(/^hookrun: /, "") : String(error);
    throw new ConfigLoadError(`could not load ${path}: ${reason}${hint}`);
  }
}

function asOptions(value: unknown, exportName: string): InboundWebhooksOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) || (exportName === "webhooks" && typeof value === "function")) {
    return { webhooks: value as InboundWebhooksOptions["webhooks"] };
  }
  if (typeof value !== "object") return undefined;
  if ("handleInboundWebhook" in value) {
    throw new ConfigLoadError(
      `the \`${exportName}\` export is an instance from createInboundWebhooks(); export the options you pass to it instead, so nothing starts while checking`,
    );
  }
  return "webhooks" in value ? (value as InboundWebhooksOptions) : undefined;
}
