import type { RedactFunction, RunRedaction } from "./types";

const REDACTED = "[redacted]";

/** A compiled `runs.redact`: applies every path and function, in order, to a fresh copy. */
export type Redactor = (payload: unknown, webhookId: string) => unknown;

/** Compiles `runs.redact` once; `undefined` when nothing is to be redacted. */
export function compileRedaction(redact: RunRedaction | undefined): Redactor | undefined {
  if (redact === undefined) return undefined;
  const steps = (typeof redact === "function" ? [redact] : [...redact]).map((step) =>
    typeof step === "function" ? step : pathRedactor(step.split(".")),
  );
  if (steps.length === 0) return undefined;
  return (payload, webhookId) => {
    let value = payload;
    for (const step of steps) {
      const next = step(value, { webhookId });
      if (next !== undefined) value = next;
    }
    return value;
  };
}

function pathRedactor(segments: readonly string[]): RedactFunction {
  return (payload) => {
    redactAt(payload, segments, 0);
    return undefined;
  };
}

function redactAt(value: unknown, segments: readonly string[], index: number): void {
  if (typeof value !== "object" || value === null) return;
  const segment = segments[index]!;
  const last = index === segments.length - 1;
  const target = value as Record<string, unknown>;
  const keys = segment === "*" ? Object.keys(target) : Object.hasOwn(target, segment) ? [segment] : [];
  for (const key of keys) {
    // defineProperty: a "__proto__" key (an own data property after JSON.parse) must not hit the setter.
    if (last) Object.defineProperty(target, key, { value: REDACTED, writable: true, enumerable: true, configurable: true });
    else redactAt(target[key], segments, index + 1);
  }
}
