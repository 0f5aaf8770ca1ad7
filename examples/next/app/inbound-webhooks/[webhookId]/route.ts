import { createNextRouteHandlers } from "@hookrun/next";
import { hooks } from "../../../lib/demo";

// hookrun needs Node.js (it refuses the Edge runtime). Each accepted run is handed to Next's
// after(): `next start` finishes it on SIGTERM, and a serverless host keeps the function alive
// for it, up to maxDuration.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 300;

export const { GET, POST, PUT, PATCH, DELETE } = createNextRouteHandlers(hooks);
