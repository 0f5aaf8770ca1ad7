/** Where the CLI writes; the process streams by default. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/**
 * Exit codes: `0` success; `1` the server answered non-2xx, or the config failed to load or
 * validate; `2` bad usage; `3` the delivery got no HTTP answer (refused, unreachable, timed out).
 */
export const EXIT = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const;

/** A usage mistake the option parser cannot see (e.g. an unreadable `--file`). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
