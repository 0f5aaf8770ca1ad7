import { createInboundWebhooks, DEFAULT_MAX_BODY_BYTES, type Verifier, type WebhookDefinition } from "@hookrun/core";
import type { LoadedConfig } from "./load-config";

/** What `hookrun verify` reports: ids, schemes and limits, never a token or secret. */
export interface ConfigSummary {
  path: string;
  exportName: string;
  maxBodyBytes: number;
  /** `null` when the webhooks come from a resolver function and cannot be listed. */
  webhooks: Array<{ id: string; schemes: string[]; maxBodyBytes: number }> | null;
}

/**
 * Validates the options exactly as `createInboundWebhooks` does at start-up (it throws
 * `HookrunConfigError` naming the field), then closes the instance without serving a request.
 */
export async function checkConfig(config: LoadedConfig): Promise<ConfigSummary> {
  const hooks = createInboundWebhooks(config.options);
  await hooks.close({ timeoutMs: 1_000 });
  const maxBodyBytes = config.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { webhooks } = config.options;
  return {
    path: config.path,
    exportName: config.exportName,
    maxBodyBytes,
    webhooks: typeof webhooks === "function" ? null : webhooks.map((webhook) => summarize(webhook, maxBodyBytes)),
  };
}

function summarize(webhook: WebhookDefinition, defaultMaxBodyBytes: number): { id: string; schemes: string[]; maxBodyBytes: number } {
  const verifiers: readonly Verifier[] = Array.isArray(webhook.auth) ? webhook.auth : [webhook.auth as Verifier];
  return { id: webhook.id, schemes: verifiers.map((verifier) => verifier.scheme), maxBodyBytes: webhook.maxBodyBytes ?? defaultMaxBodyBytes };
}

/** Plain-text report, one line per webhook. */
export function formatSummary(summary: ConfigSummary): string {
  const lines = [`${summary.path} (export: ${summary.exportName}): valid`];
  if (summary.webhooks === null) {
    lines.push("webhooks: resolved per request by a function; nothing to list");
    return lines.join("\n");
  }
  lines.push(`${summary.webhooks.length} webhook${summary.webhooks.length === 1 ? "" : "s"} (default body limit ${summary.maxBodyBytes} bytes):`);
  const width = Math.max(...summary.webhooks.map((webhook) => webhook.id.length), 2);
  for (const webhook of summary.webhooks) {
    const limit = webhook.maxBodyBytes === summary.maxBodyBytes ? "" : `  max ${webhook.maxBodyBytes} bytes`;
    lines.push(`  ${webhook.id.padEnd(width)}  POST /inbound-webhooks/${webhook.id}  auth: ${webhook.schemes.join(" or ")}${limit}`);
  }
  return lines.join("\n");
}
