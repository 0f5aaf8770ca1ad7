// hookrun on plain node:http with the github() signature verifier, against octokit.
import { createServer } from "node:http";
import * as core from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { GITHUB_SECRET, GITHUB_WEBHOOK_ID, PATH_PREFIX } from "../shared.js";
import { hookrunOptions, listen, noopAgent } from "./harness.js";

if (typeof core.github !== "function") throw new Error("@hookrun/core does not export github() yet");
const hooks = core.createInboundWebhooks(
  hookrunOptions(core, { webhooks: [{ id: GITHUB_WEBHOOK_ID, auth: core.github({ secret: GITHUB_SECRET }), agent: noopAgent }] }),
);
const server = createServer((req, res) => {
  const url = req.url;
  if (!url.startsWith(PATH_PREFIX)) return void res.writeHead(404).end();
  void handleNodeRequest(hooks, req, res, url.slice(PATH_PREFIX.length));
});
listen(server);
