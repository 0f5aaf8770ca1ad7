// @octokit/webhooks' Node middleware: verifies X-Hub-Signature-256, parses JSON, answers 200.
import { createServer } from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";
import { GITHUB_SECRET, GITHUB_WEBHOOK_ID, PATH_PREFIX } from "../shared.js";
import { listen, noopAgent } from "./harness.js";

const webhooks = new Webhooks({ secret: GITHUB_SECRET });
webhooks.onAny(noopAgent);
const middleware = createNodeMiddleware(webhooks, {
  path: PATH_PREFIX + GITHUB_WEBHOOK_ID,
  log: { debug() {}, info() {}, warn() {}, error: console.error },
});
listen(createServer((req, res) => middleware(req, res, () => res.writeHead(404).end())));
