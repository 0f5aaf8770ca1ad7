// hookrun-node with run records off (`runs: false`): beside hookrun-node, what records cost.
import { createServer } from "node:http";
import * as core from "@hookrun/core";
import { handleNodeRequest } from "@hookrun/core/node";
import { PATH_PREFIX } from "../shared.js";
import { hookrunOptions, listen } from "./harness.js";

const hooks = core.createInboundWebhooks(hookrunOptions(core, { runs: false }));
const server = createServer((req, res) => {
  const url = req.url;
  if (!url.startsWith(PATH_PREFIX)) return void res.writeHead(404).end();
  void handleNodeRequest(hooks, req, res, url.slice(PATH_PREFIX.length));
});
listen(server);
