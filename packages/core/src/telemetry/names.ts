/**
 * The instrumentation scope and metric names hookrun records (README "Telemetry" lists them with
 * every attribute). Attribute keys are written out in telemetry.ts as literal keys, so the
 * per-run attribute objects are plain literals; those in `messaging.*`, `http.*` and `error.*`
 * follow the OpenTelemetry semantic conventions.
 */
export const INSTRUMENTATION_SCOPE = "@hookrun/core";

export const METRIC_REQUESTS = "hookrun.requests";
export const METRIC_RUNS = "hookrun.runs";
export const METRIC_RUN_DURATION = "hookrun.run.duration";
export const METRIC_QUEUE_DEPTH = "hookrun.queue.depth";
