import { Body, Controller, Get, Inject, Module, Post, Res, type DynamicModule } from "@nestjs/common";
import type { InboundWebhooks } from "@hookrun/core";
import type { Response } from "express";

/** Injection token of the app's `InboundWebhooks`. */
export const HOOKS = Symbol("hookrun");

/** An ordinary Nest route: the rest of the app keeps Nest's parsed `@Body()`. */
@Controller("notes")
export class NotesController {
  @Post()
  create(@Body() body: unknown): { received: unknown } {
    return { received: body };
  }
}

/** Readiness: `hooks.health()` as JSON, 200 when ready, 503 otherwise. */
@Controller("healthz")
export class HealthController {
  constructor(@Inject(HOOKS) private readonly hooks: InboundWebhooks) {}

  @Get()
  async health(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const health = await this.hooks.health();
    res.status(health.ready ? 200 : 503);
    return health;
  }
}

@Module({})
export class AppModule {
  static register(hooks: InboundWebhooks): DynamicModule {
    return { module: AppModule, controllers: [NotesController, HealthController], providers: [{ provide: HOOKS, useValue: hooks }] };
  }
}
