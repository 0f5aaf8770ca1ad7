import { fileURLToPath } from "node:url";
import { describeExample } from "../../../test/example-contract";

describeExample("hono", fileURLToPath(new URL("..", import.meta.url)), { nodeAdapter: false });
