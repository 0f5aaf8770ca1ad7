import { createDemoHooks, demoConfig } from "@hookrun-examples/demo";
import type { InboundWebhooks } from "@hookrun/next";

// One hookrun per server process, however many route modules import this file: Next may bundle
// each route on its own, and two instances would mean two runners.
const shared = globalThis as typeof globalThis & { hookrunDemo?: InboundWebhooks };
export const hooks: InboundWebhooks = (shared.hookrunDemo ??= createDemoHooks(demoConfig()));
