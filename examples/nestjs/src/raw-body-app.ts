import "reflect-metadata";
import { All, Controller, Inject, Module, Next, Req, Res, type DynamicModule } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import type { NestExpressApplication } from "@nestjs/platform-express";
import type { InboundWebhooks } from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { AppModule, HOOKS } from "./app.module.js";

/** hookrun as a Nest controller: it runs after Nest's parsers and uses the `req.rawBody` they kept. */
@Controller("inbound-webhooks")
export class InboundWebhooksController {
  private readonly handle: RequestHandler;

  constructor(@Inject(HOOKS) hooks: InboundWebhooks) {
    this.handle = createExpressHandler(hooks);
  }

  @All(":webhookId")
  receive(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    void this.handle(req, res, next);
  }
}

@Module({})
export class InboundWebhooksModule {
  static register(hooks: InboundWebhooks): DynamicModule {
    return { module: InboundWebhooksModule, imports: [AppModule.register(hooks)], controllers: [InboundWebhooksController], providers: [{ provide: HOOKS, useValue: hooks }] };
  }
}

/**
 * The alternative setup (docs/nestjs.md) when Nest's parsers must stay global: `rawBody: true`
 * keeps the exact bytes in `req.rawBody`, and the JSON parser's limit (100 KB by default) is
 * raised above hookrun's 1 MiB so that hookrun's limit, not the parser's, answers first.
 */
export async function createRawBodyNestApp(hooks: InboundWebhooks): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(InboundWebhooksModule.register(hooks), { rawBody: true, logger: ["error", "warn"] });
  app.useBodyParser("json", { limit: "2mb" });
  app.useBodyParser("urlencoded", { extended: true, limit: "2mb" });
  return app;
}
