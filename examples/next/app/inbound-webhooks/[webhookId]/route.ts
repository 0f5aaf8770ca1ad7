import { createNextRouteHandlers } from "@hookrun/next";
import { hooks } from "../../../lib/demo";

// hookrun's memory runner keeps running agents after the response: it needs a long-lived Node.js
// server (`next start`), not the Edge runtime.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE } = createNextRouteHandlers(hooks);
