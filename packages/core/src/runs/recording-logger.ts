import type { Logger } from "../types";
import type { AttemptRecorder } from "./recorder";

/**
 * `ctx.logger` of a recorded attempt: each line goes to the hookrun logger (with `bindings`) and
 * into the attempt's record. perf: made only when the agent first reads `ctx.logger`.
 */
export function recordingLogger(logger: Logger, bindings: Record<string, unknown>, record: AttemptRecorder): Logger {
  return {
    debug(fields, message) {
      record.log("debug", fields, message);
      logger.debug({ ...bindings, ...fields }, message);
    },
    info(fields, message) {
      record.log("info", fields, message);
      logger.info({ ...bindings, ...fields }, message);
    },
    warn(fields, message) {
      record.log("warn", fields, message);
      logger.warn({ ...bindings, ...fields }, message);
    },
    error(fields, message) {
      record.log("error", fields, message);
      logger.error({ ...bindings, ...fields }, message);
    },
  };
}
