import { createRequire } from "node:module";
import type * as Api from "@opentelemetry/api";

/** The `@opentelemetry/api` module, as hookrun uses it. */
export type OtelApi = typeof Api;

/**
 * `@opentelemetry/api` when the app installed it, else `undefined`. It is an optional peer, so it
 * is never imported at module load (an app without it must still import hookrun, ESM or CJS): it
 * is required synchronously, once, from this package's location (where a peer resolves), when
 * `createInboundWebhooks` runs. tsup's shims give the CJS build an `import.meta.url`.
 */
export function loadOtelApi(): OtelApi | undefined {
  try {
    return createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;
  } catch {
    return undefined;
  }
}

/**
 * Whether an SDK registered a tracer provider. The API's global provider is a proxy until then;
 * duck-typed rather than `instanceof`, since the app's copy of the API may be its ESM build.
 */
export function tracerProviderRegistered(api: OtelApi, name: string): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegateTracer?: (name: string) => unknown };
  return typeof provider.getDelegateTracer !== "function" || provider.getDelegateTracer(name) !== undefined;
}

/** Whether an SDK registered a meter provider: without one, every meter is the API's no-op meter. */
export function meterProviderRegistered(api: OtelApi, name: string): boolean {
  return api.metrics.getMeter(name) !== api.createNoopMeter();
}
