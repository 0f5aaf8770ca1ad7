import { bearer, HookrunConfigError, type BearerToken } from "@hookrun/core";

/** What an {@link Authorize} function answers: no access, read-only, or read and replay. */
export type Role = "viewer" | "operator";

/** Decides who may use the dashboard, from the Fetch `Request` (cookies, headers, your session). */
export type Authorize = (request: Request) => false | Role | Promise<false | Role>;

/**
 * Token login without writing an `authorize`: each role's tokens (plain or `sha256:<hex>`, several
 * for rotation, exactly as `bearer()` takes them). A browser signs in with HTTP Basic (any user
 * name, the token as password); scripts send `Authorization: Bearer <token>`.
 */
export interface DashboardTokens {
  operator: BearerToken | readonly BearerToken[];
  viewer?: BearerToken | readonly BearerToken[];
}

const BASIC = /^basic +([A-Za-z0-9+/]+=*) *$/i;
const BEARER = /^bearer +(\S+) *$/i;

/** The token a request presents, from `Authorization: Basic` (the password) or `Bearer`. */
function presentedToken(request: Request): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  const basic = BASIC.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  return BEARER.exec(header)?.[1];
}

/** An {@link Authorize} over {@link DashboardTokens}; comparisons are constant-time (core's `bearer`). */
export function tokenAuthorize(tokens: DashboardTokens, field: string): Authorize {
  const operator = verifierFor(tokens.operator, `${field}.operator`);
  const viewer = tokens.viewer === undefined ? undefined : verifierFor(tokens.viewer, `${field}.viewer`);
  return (request) => {
    const token = presentedToken(request);
    if (token === undefined) return false;
    const headers = { authorization: `Bearer ${token}` };
    if (operator.verify(headers, undefined) === true) return "operator";
    if (viewer?.verify(headers, undefined) === true) return "viewer";
    return false;
  };
}

function verifierFor(tokens: BearerToken | readonly BearerToken[], field: string) {
  try {
    return bearer(tokens);
  } catch (error) {
    // Name the dashboard's field; never repeat the token.
    if (!(error instanceof HookrunConfigError)) throw error;
    throw new HookrunConfigError(field, "expected a token (letters, digits, `-._~+/`, trailing `=`), a `sha256:<64 hex>` digest, or a non-empty list of them");
  }
}
