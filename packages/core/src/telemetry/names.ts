/**
 * Span, metric and attribute names hookrun records (README "Telemetry" lists them). Attributes in
 * the `messaging.*` and `http.*` namespaces follow the OpenTelemetry semantic conventions.
 */
export const INSTRUMENTATION_SCOPE = "@hookrun/core";

export const ATTR_WEBHOOK_ID = "hookrun.webhook.id";
export const ATTR_RUN_ID = "hookrun.run.id";
export const ATTR_DELIVERY_ID = "hookrun.delivery.id";
export const ATTR_AGENT = "hookrun.agent";
export const ATTR_ATTEMPT = "hookrun.run.attempt";
export const ATTR_CODE = "hookrun.code";
export const ATTR_REPLAYED = "hookrun.replayed";
export const ATTR_OUTCOME = "hookrun.run.outcome";
export const ATTR_QUEUE_STATE = "hookrun.queue.state";
export const ATTR_HTTP_STATUS = "http.response.status_code";
export const ATTR_ERROR_TYPE = "error.type";
export const ATTR_MESSAGING_SYSTEM = "messaging.system";
export const ATTR_MESSAGING_OPERATION_TYPE = "messaging.operation.type";
export const ATTR_MESSAGING_OPERATION_NAME = "messaging.operation.name";
export const ATTR_MESSAGING_DESTINATION = "messaging.destination.name";
export const ATTR_MESSAGING_MESSAGE_ID = "messaging.message.id";

export const METRIC_REQUESTS = "hookrun.requests";
export const METRIC_RUNS = "hookrun.runs";
export const METRIC_RUN_DURATION = "hookrun.run.duration";
export const METRIC_QUEUE_DEPTH = "hookrun.queue.depth";
