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
 * The dashboard API's own error codes (the problem document's `code`); `hooks.runs` adds core's
 * `run_not_found` (404), `replay_unavailable` (409) and `invalid_filter` (400). Stable: clients switch on it.
 */
export type DashboardErrorCode =
  | "unauthorized"
  | "run_not_found"
  | "forbidden"
  | "csrf_required"
  | "cross_origin"
  | "not_found"
  | "method_not_allowed"
  | "invalid_request"
  | "internal_error";

const TITLE: Record<DashboardErrorCode, string> = {
  unauthorized: "Unauthorized",
  run_not_found: "Run Not Found",
  forbidden: "Forbidden",
  csrf_required: "Forbidden",
  cross_origin: "Forbidden",
  not_found: "Not Found",
  method_not_allowed: "Method Not Allowed",
  invalid_request: "Bad Request",
  internal_error: "Internal Server Error",
};

/** An `application/problem+json` response (RFC 9457), the same shape as the webhook endpoint's. */
export function problem(status: number, code: DashboardErrorCode, detail: string, headers: Record<string, string> = {}): Response {
  const body = { type: `urn:hookrun:problem:${code}`, title: TITLE[code], status, detail, code };
  return respond(status, JSON.stringify(body), { "content-type": "application/problem+json", ...headers });
}
