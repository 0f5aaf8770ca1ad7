type FetchHandler = (request: Request) => Promise<Response>;

/** A Next.js route handler (App Router, Node.js runtime). */
export type NextRouteHandler = (request: Request) => Promise<Response>;

/** The route handlers for `app/<basePath>/[[...path]]/route.ts`. */
export interface NextMount {
  GET: NextRouteHandler;
  HEAD: NextRouteHandler;
  POST: NextRouteHandler;
}

/**
 * `export const { GET, HEAD, POST } = dashboard.next;` in `app/hookrun/[[...path]]/route.ts`
 * (with `export const runtime = "nodejs"`). Next hands over Fetch requests: nothing to translate.
 */
export function nextMount(handler: FetchHandler): NextMount {
  const route: NextRouteHandler = (request) => handler(request);
  return { GET: route, HEAD: route, POST: route };
}
