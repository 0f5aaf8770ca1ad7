import { isSecretHeader } from "../http/secret-headers";
import type { InboundHeaders } from "../types";
import type { RunRequestMetadata } from "./types";

const MAX_HEADERS = 64;
const MAX_VALUE = 1_024;

/**
 * The request metadata a run record keeps: header names and values minus every credential and
 * signature header, each value at most 1 KiB, at most 64 headers.
 */
export function requestMetadata(headers: InboundHeaders, bytes: number): RunRequestMetadata {
  const kept: Record<string, string> = {};
  let count = 0;
  const keep = (name: string, value: string | readonly string[] | undefined) => {
    if (value === undefined || count >= MAX_HEADERS) return;
    const lower = name.toLowerCase();
    if (isSecretHeader(lower)) return;
    const text = typeof value === "string" ? value : value.join(", ");
    kept[lower] = text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
    count++;
  };
  if (typeof (headers as Headers).forEach === "function" && typeof (headers as Headers).get === "function") {
    (headers as Headers).forEach((value, name) => keep(name, value));
  } else {
    const record = headers as Readonly<Record<string, string | string[] | undefined>>;
    for (const name in record) keep(name, record[name]);
  }
  const contentType = kept["content-type"];
  return contentType === undefined ? { headers: kept, bytes } : { headers: kept, contentType, bytes };
}
