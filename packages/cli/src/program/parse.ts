import { InvalidArgumentError } from "commander";

/** A whole decimal number, for options like `--bytes` and `--timeout`. */
export function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return Number(value);
}

/** Collects repeated `-H "Name: value"` options into a header record. */
export function header(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const colon = value.indexOf(":");
  const name = value.slice(0, colon).trim();
  if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new InvalidArgumentError('expected "Name: value"');
  return { ...previous, [name]: value.slice(colon + 1).trim() };
}
