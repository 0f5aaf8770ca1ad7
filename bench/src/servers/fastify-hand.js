// What a Fastify 5 user writes by hand: the bearer check in onRequest (before the body is read, as
// hookrun does), Fastify's own JSON parser with its 1 MiB bodyLimit, 202.
import { randomUUID } from "node:crypto";
import Fastify from "fastify";
import { WEBHOOK_ID } from "../shared.js";
import { handBearerOk, noopAgent, ready } from "./harness.js";

const app = Fastify({ bodyLimit: 1_048_576 });
app.post(
  "/inbound-webhooks/:webhookId",
  {
    onRequest: async (request, reply) => {
      if (request.params.webhookId !== WEBHOOK_ID || !handBearerOk(request.headers.authorization)) {
        return reply.code(401).send({ error: "unauthorized" });
      }
    },
  },
  async (request, reply) => {
    const inboundWebhookId = request.params.webhookId;
    setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId, payload: request.body });
    return reply.code(202).send({ status: "accepted", runId: randomUUID(), inboundWebhookId });
  },
);
await app.listen({ port: 0, host: "127.0.0.1" });
ready(app.server);
