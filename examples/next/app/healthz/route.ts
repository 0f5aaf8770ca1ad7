import { hooks } from "../../lib/demo";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const health = await hooks.health();
  return Response.json(health, { status: health.ready ? 200 : 503 });
}
