import { createDemoDashboard, createDemoHooks, demoConfig } from "@hookrun-examples/demo";
import type { InboundWebhooks } from "@hookrun/core";
import type { Dashboard } from "@hookrun/dashboard";

// One hooks instance per server process, shared by the webhook route and the dashboard route (so
// the dashboard sees the runs the webhook started), even if Next loads the module more than once.
const shared = globalThis as { hookrunDemo?: { hooks: InboundWebhooks; dashboard: Dashboard } };

function create() {
  const config = demoConfig();
  const hooks = createDemoHooks(config);
  return { hooks, dashboard: createDemoDashboard(hooks, config) };
}

export const { hooks, dashboard } = (shared.hookrunDemo ??= create());
