import { fileURLToPath } from "node:url";
import { describeExample } from "../../../test/example-contract";

describeExample("fastify", fileURLToPath(new URL("..", import.meta.url)), { nodeAdapter: true });
