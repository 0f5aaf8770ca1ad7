import { fileURLToPath } from "node:url";
import { describeShutdownUnderLoad } from "../../../test/support/shutdown-load";

describeShutdownUnderLoad("express", fileURLToPath(new URL("..", import.meta.url)));
