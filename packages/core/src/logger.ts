import type { Logger } from "./types";

type Level = keyof Logger;

/**
 * The default logger's debug and info. perf: hot paths compare a logger's method against it and
 * skip building the fields of a line nobody would write.
 */
export function noLog(_fields: Record<string, unknown>, _message: string): void {}

/**
 * The logger used when none is given: warnings and errors as one JSON line each on stderr,
 * debug and info dropped. Pass pino (or anything with the same four methods) for more.
 */
export const defaultLogger: Logger = {
  debug: noLog,
  info: noLog,
  warn: (fields, message) => writeLine("warn", fields, message),
  error: (fields, message) => writeLine("error", fields, message),
};

function writeLine(level: Level, fields: Record<string, unknown>, message: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), name: "hookrun", msg: message, ...fields })}\n`);
}

/** A logger that adds `bindings` to every line, like pino's `child`. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return {
    debug: (fields, message) => logger.debug({ ...bindings, ...fields }, message),
    info: (fields, message) => logger.info({ ...bindings, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...bindings, ...fields }, message),
    error: (fields, message) => logger.error({ ...bindings, ...fields }, message),
  };
}

/** What a log line or event may say about a thrown value: its name and message, never the value itself. */
export function describeError(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: "NonError", message: typeof error === "string" ? error : `thrown ${typeof error}` };
}
