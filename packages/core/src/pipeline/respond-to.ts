import type { InboundWebhooks } from "../create-inbound-webhooks";
import type { InboundRequest, InboundResponse } from "../types";
import type { Respond } from "./handle-inbound-webhook";

/**
 * Where `createInboundWebhooks` keeps its callback form of `handleInboundWebhook` (non-enumerable, so
 * a spread or wrapped hooks object goes through its own `handleInboundWebhook`). `Symbol.for`: the
 * ESM and CJS builds, and every entry point, must agree on it.
 */
export const RESPOND = Symbol.for("hookrun.respond");

/**
 * `handleInboundWebhook` with the answer passed to `respond` (see `runInboundWebhook`);
 * `answeredInTurn`: `respond` writes the answer out before it returns.
 */
export type Responder = (request: InboundRequest, respond: Respond, answeredInTurn: boolean) => void;

/**
 * Hands `request` to `hooks`, and its answer to `write`, whose result the promise resolves to (a
 * throw from `write` rejects it). perf: with hookrun's own hooks object, `write` runs in the turn
 * the answer is known, not a microtask later; any other object goes through `handleInboundWebhook`.
 * `writesAtOnce`: `write` puts the answer on the wire before it returns (a Node `ServerResponse`,
 * not a Fetch `Response` that the server writes later), so runs may start right after it.
 */
export function respondTo<T>(hooks: InboundWebhooks, request: InboundRequest, write: (response: InboundResponse) => T, writesAtOnce = false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const respond = (response: InboundResponse) => {
      try {
        resolve(write(response));
      } catch (error) {
        reject(error);
      }
    };
    const direct = (hooks as { [RESPOND]?: Responder })[RESPOND];
    if (direct !== undefined) direct(request, respond, writesAtOnce);
    else hooks.handleInboundWebhook(request).then(respond, reject);
  });
}
