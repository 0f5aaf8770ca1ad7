import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { DeliveryError, parseDeliveryUrl, sendDelivery } from "../send/send-delivery";
import type { Signing } from "../sign/signing-headers";
import { standardWebhooksKey } from "../sign/signatures";
import { EXIT, UsageError, type CliIo } from "./io";
import { header, integer } from "./parse";

interface SendOptions {
  token?: string;
  data?: string;
  file?: string;
  githubSecret?: string;
  stripeSecret?: string;
  standardWebhooksSecret?: string;
  deliveryId?: string;
  header?: Record<string, string>;
  timeout: number;
}

const SIGNING_OPTIONS = ["githubSecret", "stripeSecret", "standardWebhooksSecret"];

export function sendCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command("send")
    .description("POST a test delivery and print the status, the time taken and the response body")
    .argument("<url>", "the endpoint, e.g. http://localhost:3000/inbound-webhooks/demo")
    .addOption(new Option("-t, --token <token>", "bearer token, sent as Authorization: Bearer <token>").env("HOOKRUN_TOKEN"))
    .addOption(new Option("-d, --data <json>", "the body, sent byte for byte").conflicts("file"))
    .addOption(new Option("-f, --file <path>", "read the body from a file, sent byte for byte"))
    .addOption(
      new Option("--github-secret <secret>", "sign like GitHub: X-Hub-Signature-256")
        .env("HOOKRUN_GITHUB_SECRET")
        .conflicts(SIGNING_OPTIONS.filter((name) => name !== "githubSecret")),
    )
    .addOption(
      new Option("--stripe-secret <secret>", "sign like Stripe: Stripe-Signature")
        .env("HOOKRUN_STRIPE_SECRET")
        .conflicts(SIGNING_OPTIONS.filter((name) => name !== "stripeSecret")),
    )
    .addOption(
      new Option("--standard-webhooks-secret <secret>", "sign per Standard Webhooks (whsec_<base64>): webhook-id, webhook-timestamp, webhook-signature")
        .env("HOOKRUN_STANDARD_WEBHOOKS_SECRET")
        .conflicts(SIGNING_OPTIONS.filter((name) => name !== "standardWebhooksSecret")),
    )
    .option("--delivery-id <id>", "sent as Idempotency-Key (and as webhook-id when signing per Standard Webhooks)")
    .addOption(new Option("-H, --header <header>", 'extra header "Name: value" (repeatable)').argParser(header))
    .addOption(new Option("--timeout <ms>", "give up after this many milliseconds").default(30_000).argParser(integer))
    .addHelpText("after", "\nSecrets may come from HOOKRUN_TOKEN, HOOKRUN_GITHUB_SECRET, HOOKRUN_STRIPE_SECRET and\nHOOKRUN_STANDARD_WEBHOOKS_SECRET instead, which keeps them out of shell history and `ps`.")
    .action(async (url: string, options: SendOptions) => {
      checkUrl(url);
      const body = await readBody(options);
      const signing = toSigning(options);
      try {
        const result = await sendDelivery({ url, body, token: options.token, signing, deliveryId: options.deliveryId, headers: options.header, timeoutMs: options.timeout });
        io.out(`${result.status} ${result.statusText} in ${Math.round(result.durationMs)} ms`);
        if (result.body.length > 0) io.out(result.body);
        done(result.status >= 200 && result.status < 300 ? EXIT.ok : EXIT.rejected);
      } catch (error) {
        if (!(error instanceof DeliveryError)) throw error;
        io.err(`hookrun send: ${error.message}`);
        done(EXIT.unreachable);
      }
    });
}

function checkUrl(url: string): void {
  try {
    parseDeliveryUrl(url);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function readBody(options: SendOptions): Promise<string | Uint8Array> {
  if (options.data !== undefined) return options.data;
  if (options.file === undefined) return JSON.stringify({ event: "hookrun.test", sentAt: new Date().toISOString() });
  try {
    return await readFile(options.file);
  } catch (error) {
    throw new UsageError(`cannot read --file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function toSigning(options: SendOptions): Signing | undefined {
  if (options.githubSecret !== undefined) return { scheme: "github", secret: nonEmpty(options.githubSecret, "--github-secret") };
  if (options.stripeSecret !== undefined) return { scheme: "stripe", secret: nonEmpty(options.stripeSecret, "--stripe-secret") };
  if (options.standardWebhooksSecret === undefined) return undefined;
  try {
    standardWebhooksKey(options.standardWebhooksSecret);
  } catch (error) {
    throw new UsageError(`--standard-webhooks-secret: ${(error as Error).message}`);
  }
  return { scheme: "standard-webhooks", secret: options.standardWebhooksSecret };
}

function nonEmpty(secret: string, flag: string): string {
  if (secret.length === 0) throw new UsageError(`${flag} must not be empty`);
  return secret;
}
