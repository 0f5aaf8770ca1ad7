import type { InboundWebhooks } from "../create-inbound-webhooks";
import type { InboundRequest, InboundResponse } from "../types";
import type { Respond } from "./handle-inbound-webhook";

/**
 * Where `createInboundWebhooks` keeps its callback form of `handleInboundWebhook` (non-enumerable, so
 * a spread or wrapped hooks object goes through its own `handleInboundWebhook`). `Symbol.for`: the
 * ESM and CJS builds, and every entry point, must agree on it.
 */
export const RESPOND = Symbol.for("hookrun.respond");

/** `handleInboundWebhook` with the answer passed to `respond` (see `runInboundWebhook`). */
export type Responder = (request: InboundRequest, respond: Respond) => void;

/**
 * Hands `request` to `hooks`, and its answer to `write`, whose result the promise resolves to (a
 * throw from `write` rejects it). perf: with hookrun's own hooks object, `write` runs in the turn
 * the answer is known, not a microtask later; any other object goes through `handleInboundWebhook`.
 */
export function respondTo<T>(hooks: InboundWebhooks, request: InboundRequest, write: (response: InboundResponse) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const respond = (response: InboundResponse) => {
      try {
        resolve(write(response));
      } catch (error) {
        reject(error);
      }
    };
    const direct = (hooks as { [RESPOND]?: Responder })[RESPOND];
    if (direct !== undefined) direct(request, respond);
    else hooks.handleInboundWebhook(request).then(respond, reject);
  });
}
