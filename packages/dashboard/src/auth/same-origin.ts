import { problem } from "../http/responses";

/** The header every state-changing request must carry. A page on another origin cannot add it without a CORS preflight, which the dashboard never grants. */
export const CSRF_HEADER = "x-hookrun-csrf";

/**
 * Hosts the request may legitimately come from: the URL's, `Host`, and `X-Forwarded-Host` (a
 * proxy that rewrites `Host` usually says what the browser asked for there).
 */
function servedHosts(request: Request): Set<string> {
  const hosts = new Set<string>([new URL(request.url).host]);
  const host = request.headers.get("host");
  if (host) hosts.add(host.toLowerCase());
  for (const forwarded of (request.headers.get("x-forwarded-host") ?? "").split(",")) {
    if (forwarded.trim()) hosts.add(forwarded.trim().toLowerCase());
  }
  return hosts;
}

/** True when the browser says, or the `Origin` shows, that the request comes from another site or origin. */
export function isCrossOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  // Browsers send Sec-Fetch-Site on every request; "none" is a navigation the user typed.
  if (site !== null && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  if (origin === "null") return true;
  try {
    return !servedHosts(request).has(new URL(origin).host);
  } catch {
    return true;
  }
}

/**
 * A state-changing request (POST) must carry `x-hookrun-csrf: 1` and come from the dashboard's own
 * origin. Answers the `403` to send, or `undefined` when the request may go on.
 */
export function refuseUnsafeRequest(request: Request): Response | undefined {
  if (request.headers.get(CSRF_HEADER) !== "1") {
    return problem("csrf_required", `State-changing requests need the header \`${CSRF_HEADER}: 1\`.`);
  }
  if (isCrossOrigin(request)) return problem("cross_origin", "Cross-origin state-changing requests are refused.");
  return undefined;
}
