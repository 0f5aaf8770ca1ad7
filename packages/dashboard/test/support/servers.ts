import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import Router from "@koa/router";
import express from "express";
import Koa from "koa";
import type { Dashboard } from "@hookrun/dashboard";

/** Every way the dashboard is mounted; the API contract suite runs against each. */
export const MOUNTS = ["fetch", "node", "express", "koa", "next"] as const;
export type MountKind = (typeof MOUNTS)[number];

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  close(): Promise<void>;
}

export async function listen(server: Server): Promise<RunningServer> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A plain Node → Fetch bridge, the way Next.js, Hono's node-server and the like call a Fetch handler. */
function fetchServer(handle: (request: Request) => Promise<Response>): Server {
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
    } as RequestInit);
    const response = await handle(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

/**
 * The dashboard (at its base path) in a real server on port 0, mounted the way each framework's
 * users would mount it, next to a route of the host app (`/app-route`) that must keep working.
 */
export async function serveDashboard(dashboard: Dashboard, kind: MountKind): Promise<RunningServer> {
  switch (kind) {
    case "fetch":
      return listen(fetchServer(dashboard));
    case "next": {
      // What app/<basePath>/[[...path]]/route.ts exports, called as Next calls it.
      const { GET, HEAD, POST } = dashboard.next;
      const routes: Record<string, (request: Request) => Promise<Response>> = { GET, HEAD, POST };
      return listen(fetchServer((request) => routes[request.method]?.(request) ?? Promise.resolve(new Response(null, { status: 405 }))));
    }
    case "node":
      return listen(
        createServer((req, res) => {
          if (req.url === "/app-route") return void res.end("app");
          dashboard.node(req, res);
        }),
      );
    case "express": {
      const app = express();
      app.use(express.json());
      app.use(dashboard.basePath || "/", dashboard.express);
      app.get("/app-route", (_req, res) => void res.send("app"));
      return listen(createServer(app));
    }
    case "koa": {
      const app = new Koa();
      const router = new Router();
      router.get("/app-route", (ctx) => void (ctx.body = "app"));
      app.use(dashboard.koa);
      app.use(router.routes());
      return listen(createServer(app.callback()));
    }
  }
}
