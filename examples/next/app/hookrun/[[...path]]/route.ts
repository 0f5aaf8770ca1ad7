import { dashboard } from "../../../lib/demo";

// The runs dashboard at /hookrun, on the same hooks as the webhook route.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, POST } = dashboard.next;
