import { fileURLToPath } from "node:url";
import { describeShutdownUnderLoad } from "../../../test/support/shutdown-load";

describeShutdownUnderLoad("koa", fileURLToPath(new URL("..", import.meta.url)));
