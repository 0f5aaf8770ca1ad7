// What a user writes by hand on @hono/node-server (a Fetch handler): the bearer check, the declared
// length checked before reading and the bytes counted after, JSON.parse, 202.
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import { LIMIT, PATH_PREFIX, WEBHOOK_ID } from "../shared.js";
import { handBearerOk, noopAgent, ready } from "./harness.js";

const json = (status, body) => new Response(body, { status, headers: { "content-type": "application/json" } });

const server = serve(
  {
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (!pathname.startsWith(PATH_PREFIX)) return new Response(null, { status: 404 });
      if (request.method !== "POST") return json(405, '{"error":"method not allowed"}');
      const inboundWebhookId = pathname.slice(PATH_PREFIX.length);
      if (inboundWebhookId !== WEBHOOK_ID || !handBearerOk(request.headers.get("authorization"))) return json(401, '{"error":"unauthorized"}');
      const declared = request.headers.get("content-length");
      if (declared !== null && Number(declared) > LIMIT) return json(413, '{"error":"too large"}');
      const bytes = await request.arrayBuffer();
      if (bytes.byteLength > LIMIT) return json(413, '{"error":"too large"}');
      let payload;
      try {
        payload = JSON.parse(Buffer.from(bytes).toString("utf8"));
      } catch {
        return json(400, '{"error":"invalid json"}');
      }
      setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId, payload });
      return json(202, JSON.stringify({ status: "accepted", runId: randomUUID(), inboundWebhookId }));
    },
  },
  () => ready(server),
);
