export { toInboundRequest } from "./request";
export { writeInboundResponse } from "./response";
export { handleNodeRequest } from "./handle";
