import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import type { NestExpressApplication } from "@nestjs/platform-express";
import type { InboundWebhooks } from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
import type { RequestHandler } from "express";
import { AppModule } from "./app.module.js";

/**
 * The recommended setup (docs/nestjs.md): Nest's own body parsers off, hookrun's Express handler
 * mounted first so it reads and limits the raw stream itself (1 MiB, its own 413), then Nest's
 * parsers back for every other route. `mount` takes more Express handlers that read their own
 * bodies (the example's dashboard).
 */
export async function createNestApp(hooks: InboundWebhooks, mount: Record<string, RequestHandler> = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(hooks), { bodyParser: false, logger: ["error", "warn"] });
  app.getHttpAdapter().getInstance().all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
  for (const [path, handler] of Object.entries(mount)) app.use(path, handler);
  // Nest's defaults (json, and urlencoded with extended: true), after hookrun.
  app.useBodyParser("json");
  app.useBodyParser("urlencoded", { extended: true });
  return app;
}
