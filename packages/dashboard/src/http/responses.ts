import { HookrunError, type HookrunErrorCode } from "@hookrun/core";

/**
 * Every dashboard response carries these: the page may load only its own script and stylesheet and
 * talk only to its own origin; nothing inline runs, nothing frames it, nothing is cached.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

/** A response with the dashboard's security headers; `headers` add to (or override) them. */
export function respond(status: number, body: string | null, headers: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

export function json(status: number, value: unknown): Response {
  return respond(status, JSON.stringify(value), { "content-type": "application/json; charset=utf-8" });
}

/**
 * The codes the dashboard API answers with (the problem document's `code`): a part of core's one
 * `HookrunErrorCode` union, with `hooks.runs`' `run_not_found` (404), `replay_unavailable` (409) and
 * `invalid_filter` (400) besides. Stable: clients switch on it.
 */
export type DashboardErrorCode = Extract<
  HookrunErrorCode,
  "unauthorized" | "run_not_found" | "forbidden" | "csrf_required" | "cross_origin" | "not_found" | "method_not_allowed" | "invalid_request" | "internal_error"
>;

/** The `application/problem+json` response (RFC 9457) of a `HookrunError`, the same shape as the webhook endpoint's. */
export function errorResponse(error: HookrunError): Response {
  return respond(error.status, JSON.stringify(error.toProblem()), { "content-type": "application/problem+json", ...error.headers });
}

/** The problem response for `code` (its status, unless `options.status` says another). */
export function problem(code: DashboardErrorCode, detail: string, options: { status?: number; headers?: Record<string, string> } = {}): Response {
  return errorResponse(new HookrunError(code, detail, options));
}
