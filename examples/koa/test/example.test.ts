import { fileURLToPath } from "node:url";
import { describeExample } from "../../../test/example-contract";

describeExample("koa", fileURLToPath(new URL("..", import.meta.url)), { nodeAdapter: true });
