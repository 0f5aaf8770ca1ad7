// The practical limit: plain node:http doing exactly the endpoint's work by hand.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { LIMIT, PATH_PREFIX, WEBHOOK_ID } from "../shared.js";
import { handBearerOk, listen, noopAgent } from "./harness.js";

function answer(res, status, body, close = false) {
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  if (close) headers.connection = "close";
  res.writeHead(status, headers).end(body);
}

const server = createServer((req, res) => {
  const url = req.url;
  if (!url.startsWith(PATH_PREFIX)) return answer(res, 404, '{"error":"not found"}');
  if (req.method !== "POST") return answer(res, 405, '{"error":"method not allowed"}');
  const webhookId = url.slice(PATH_PREFIX.length);
  if (webhookId !== WEBHOOK_ID || !handBearerOk(req.headers.authorization)) return answer(res, 401, '{"error":"unauthorized"}', true);
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > LIMIT) return answer(res, 413, '{"error":"too large"}', true);
  const chunks = [];
  let size = 0;
  const onData = (chunk) => {
    size += chunk.length;
    if (size <= LIMIT) return void chunks.push(chunk);
    req.off("data", onData);
    chunks.length = 0;
    answer(res, 413, '{"error":"too large"}', true);
    req.resume();
  };
  req.on("data", onData);
  req.on("end", () => {
    if (size > LIMIT) return;
    let payload;
    try {
      payload = JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
    } catch {
      return answer(res, 400, '{"error":"invalid json"}');
    }
    const runId = randomUUID();
    setImmediate(noopAgent, { page: "inbound_webhook", inboundWebhookId: webhookId, payload });
    answer(res, 202, JSON.stringify({ status: "accepted", runId, inboundWebhookId: webhookId }));
  });
});
listen(server);
