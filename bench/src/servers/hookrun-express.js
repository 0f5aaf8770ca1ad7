// hookrun on Express 5 through @hookrun/express.
import express from "express";
import * as core from "@hookrun/core";
import { createExpressHandler } from "@hookrun/express";
import { hookrunOptions, ready } from "./harness.js";

const hooks = core.createInboundWebhooks(hookrunOptions(core));
const app = express();
app.all("/inbound-webhooks/:webhookId", createExpressHandler(hooks));
const server = app.listen(0, "127.0.0.1", () => ready(server));
