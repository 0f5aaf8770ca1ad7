// Credentials, signatures, session and key material, whatever the scheme: a run record never stores
// them and a webhook's filter never reads them.
const SECRET = /^(authorization|proxy-authorization|cookie|set-cookie)$|signature|token|secret|passw|api[-_]?key|auth|session|credential/;
// perf: header names repeat from request to request, so the verdict is remembered per name (a
// bounded cache: names are sender-controlled).
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 512;

/**
 * Whether a header may carry a secret: run records never store it and a webhook's `filter` reads it
 * as `undefined` (`authorization`, `proxy-authorization`, `cookie`, `set-cookie`, and any name with
 * `signature`, `token`, `secret`, `passw`, `api-key`/`apikey`, `auth`, `session` or `credential`).
 *
 * @param lower - the header name, lower-case.
 * @example
 * ```ts
 * const safe = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !isSecretHeader(name)));
 * ```
 */
export function isSecretHeader(lower: string): boolean {
  let secret = verdicts.get(lower);
  if (secret === undefined) {
    secret = SECRET.test(lower);
    if (verdicts.size < MAX_VERDICTS) verdicts.set(lower, secret);
  }
  return secret;
}
