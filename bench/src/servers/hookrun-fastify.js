// hookrun on Fastify 5 through @hookrun/fastify.
import Fastify from "fastify";
import * as core from "@hookrun/core";
import { hookrunFastify } from "@hookrun/fastify";
import { hookrunOptions, ready } from "./harness.js";

const hooks = core.createInboundWebhooks(hookrunOptions(core));
const app = Fastify();
await app.register(hookrunFastify, { hooks });
await app.listen({ port: 0, host: "127.0.0.1" });
ready(app.server);
