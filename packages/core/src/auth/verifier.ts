import type { InboundHeaders } from "../types";

/**
 * Decides whether a request may start its webhook's agent.
 *
 * `phase: "headers"` verifiers (bearer) run before any body byte is read, so an unauthenticated
 * client cannot make the server read 1 MiB. `phase: "body"` verifiers (signatures) run after the
 * limited read, over the exact raw bytes.
 */
export interface Verifier {
  /** Short scheme name for logs (`"bearer"`, ...). Never a secret. */
  readonly scheme: string;
  readonly phase: "headers" | "body";
  verify(headers: InboundHeaders, rawBody: Uint8Array | undefined): boolean | Promise<boolean>;
}
