// hookrun's Fetch helpers (@hookrun/core/fetch) served by @hono/node-server: Request in, Response out.
import { serve } from "@hono/node-server";
import * as core from "@hookrun/core";
import { handleFetchRequest } from "@hookrun/core/fetch";
import { PATH_PREFIX } from "../shared.js";
import { hookrunOptions, ready } from "./harness.js";

const hooks = core.createInboundWebhooks(hookrunOptions(core));
const server = serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (!pathname.startsWith(PATH_PREFIX)) return new Response(null, { status: 404 });
      return handleFetchRequest(hooks, request, pathname.slice(PATH_PREFIX.length));
    },
  },
  () => ready(server),
);
