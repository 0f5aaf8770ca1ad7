import { createServer, type Server } from "node:http";
import type { InboundWebhooks } from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { listen } from "./in-process";

/** A real HTTP server on port 0 serving `/inbound-webhooks/<id>` with hookrun. */
export interface HooksServer {
  url: string;
  post(webhookId: string, body: string, headers?: Record<string, string>): Promise<PostResult>;
  close(): Promise<void>;
}

export interface PostResult {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** Plain `node:http` routing `/inbound-webhooks/<id>` to `handleNodeRequest`, as the README shows. */
export function nodeHooksServer(hooks: InboundWebhooks): Server {
  return createServer((req, res) => {
    const match = /^\/inbound-webhooks\/([^/?]+)/.exec(req.url ?? "");
    if (!match) return void res.writeHead(404).end();
    void handleNodeRequest(hooks, req, res, decodeURIComponent(match[1]!));
  });
}

export async function serveHooks(hooks: InboundWebhooks): Promise<HooksServer> {
  const { port, close } = await listen(nodeHooksServer(hooks));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async post(webhookId, body, headers = {}) {
      const res = await fetch(`${url}/inbound-webhooks/${webhookId}`, { method: "POST", body, headers });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    close,
  };
}
