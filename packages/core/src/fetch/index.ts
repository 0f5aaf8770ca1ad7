export { toInboundRequest } from "./request";
export type { FetchRequestOptions } from "./request";
export { toFetchResponse } from "./response";
export { handleFetchRequest } from "./handle";
