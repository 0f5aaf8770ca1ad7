export { toInboundRequest } from "./request";
export { toFetchResponse } from "./response";
export { handleFetchRequest } from "./handle";
