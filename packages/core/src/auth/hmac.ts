import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { parseOptions } from "../config";
import { getHeader } from "../http/headers";
import type { InboundHeaders } from "../types";
import type { Verifier } from "./verifier";

/** A shared secret: a string (used as its UTF-8 bytes) or the key bytes themselves. */
export type HmacSecret = string | Uint8Array;

/** What a signed-content function is given: the request headers, the signature header and the raw body as sent. */
export interface SignedContentInput {
  headers: InboundHeaders;
  /** The value of the signature header (already known to be present and single). */
  signatureHeader: string;
  /** The exact bytes that were read, before any `Content-Encoding` is decoded. */
  rawBody: Uint8Array;
}

/** Options of {@link hmac}. */
export interface HmacOptions {
  /** The shared secret, or several (rotation: any one may have signed). Never logged. */
  secret: HmacSecret | readonly HmacSecret[];
  /** Header carrying the signature, any case (e.g. `"x-hub-signature-256"`). */
  header: string;
  /** HMAC hash. Default `"sha256"`. */
  algorithm?: "sha1" | "sha256" | "sha384" | "sha512";
  /** How the signature is written. Default `"hex"` (lower-case). */
  encoding?: "hex" | "base64" | "base64url";
  /** Text before the encoded signature in each candidate, e.g. `"sha256="`. Default `""`. */
  prefix?: string;
  /**
   * Splits the header value into candidate signatures (senders may send several, e.g. during their
   * own key rotation). Default: the whole value is one candidate.
   */
  signatures?: (signatureHeader: string) => readonly string[];
  /**
   * The bytes the sender signed, as parts that are concatenated, or `undefined` to fail the check
   * (e.g. a missing or stale timestamp). Default: the raw body alone.
   */
  signedContent?: (input: SignedContentInput) => ReadonlyArray<string | Uint8Array> | undefined;
  /** Name used in logs. Default `"hmac"`. */
  scheme?: string;
}

const isFunction = (value: unknown) => typeof value === "function";
const secretSchema = z.union([z.string().min(1, "a secret must not be empty"), z.instanceof(Uint8Array).refine((key) => key.byteLength > 0, "a secret must not be empty")]);

/** One secret or a non-empty list of them; shared by the presets so their errors name their own field. */
export const secretsSchema = z.union([secretSchema, z.array(secretSchema).min(1, "give at least one secret")]);

const optionsSchema = z.object({
  secret: secretsSchema,
  header: z
    .string()
    .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "expected an HTTP header name")
    .transform((name) => name.toLowerCase()),
  algorithm: z.enum(["sha1", "sha256", "sha384", "sha512"]).default("sha256"),
  encoding: z.enum(["hex", "base64", "base64url"]).default("hex"),
  prefix: z.string().default(""),
  signatures: z.custom<NonNullable<HmacOptions["signatures"]>>(isFunction, "expected a function (headerValue) => string[]").optional(),
  signedContent: z.custom<NonNullable<HmacOptions["signedContent"]>>(isFunction, "expected a function ({ headers, signatureHeader, rawBody }) => parts | undefined").optional(),
  scheme: z.string().min(1).default("hmac"),
});

const EMPTY = new Uint8Array(0);
const LOWER_HEX = /^[0-9a-f]+$/;

/**
 * Generic HMAC signature verifier, run after the limited body read over the exact raw bytes that
 * were received. The presets (`github`, `stripe`, `standardWebhooks`, `slack`) are built on it.
 *
 * A candidate signature passes only when it is the prefix followed by the canonical encoding of the
 * expected MAC (lower-case hex; base64 with its padding): a signature that decodes to the same bytes
 * but is spelled differently is refused, so no mutation of a valid signature passes. MACs are
 * compared with `timingSafeEqual` on equal-length buffers, over every secret and every candidate.
 *
 * @param options.secret - one secret or several (rotation). Required.
 * @param options.header - the signature header. Required.
 * @param options.algorithm - default `"sha256"`.
 * @param options.encoding - default `"hex"`.
 * @param options.prefix - default `""`.
 * @param options.signatures - default: the header value is one candidate.
 * @param options.signedContent - default: the raw body.
 * @param options.scheme - name in logs, default `"hmac"`.
 * @throws HookrunConfigError naming the bad option (never quoting a secret).
 * @example
 * ```ts
 * import { hmac } from "@hookrun/core";
 * // A sender that puts `hex(HMAC-SHA256(secret, body))` in X-Signature:
 * const auth = hmac({ secret: process.env.PARTNER_SECRET!, header: "x-signature" });
 * ```
 */
export function hmac(options: HmacOptions): Verifier {
  const config = parseOptions(optionsSchema, options, "hmac(options)");
  const keys = (Array.isArray(config.secret) ? config.secret : [config.secret]).map(toKey);
  const { algorithm, encoding, prefix, header } = config;
  const split = config.signatures;
  const signedContent = config.signedContent;

  return {
    scheme: config.scheme,
    phase: "body",
    hasCredentials: (headers) => getHeader(headers, header) !== undefined,
    verify(headers, rawBody) {
      const signatureHeader = getHeader(headers, header);
      if (signatureHeader === undefined) return false;
      // perf: with the defaults (the body alone, one candidate), no input object and no arrays.
      const parts = signedContent === undefined ? undefined : signedContent({ headers, signatureHeader, rawBody: rawBody ?? EMPTY });
      if (signedContent !== undefined && parts === undefined) return false;
      const presented = split === undefined ? undefined : split(signatureHeader).map((candidate) => decodeCandidate(candidate, prefix, encoding));
      const single = split === undefined ? decodeCandidate(signatureHeader, prefix, encoding) : undefined;
      let matched = false;
      for (const key of keys) {
        const mac = createHmac(algorithm, key);
        if (parts === undefined) mac.update(rawBody ?? EMPTY);
        else for (const part of parts) mac.update(part);
        const expected = mac.digest();
        // Non-short-circuit: every secret and candidate is compared whatever matched first.
        if (presented === undefined) matched = sameMac(single, expected) || matched;
        else for (const candidate of presented) matched = sameMac(candidate, expected) || matched;
      }
      return matched;
    },
  };
}

function sameMac(candidate: Buffer | undefined, expected: Buffer): boolean {
  return candidate !== undefined && candidate.byteLength === expected.byteLength && timingSafeEqual(candidate, expected);
}

/** The MAC bytes a candidate spells, or `undefined` when it is not exactly `prefix` + canonical encoding. */
function decodeCandidate(candidate: string, prefix: string, encoding: "hex" | "base64" | "base64url"): Buffer | undefined {
  if (!candidate.startsWith(prefix)) return undefined;
  const encoded = candidate.slice(prefix.length);
  if (encoded.length === 0) return undefined;
  // perf: lower-case hex is canonical exactly when it matches this; no round trip through a string.
  if (encoding === "hex") return encoded.length % 2 === 0 && LOWER_HEX.test(encoded) ? Buffer.from(encoded, "hex") : undefined;
  const bytes = Buffer.from(encoded, encoding);
  // Buffer.from is lenient (stops at bad characters, ignores spare bits): insist on the canonical spelling.
  return bytes.toString(encoding) === encoded ? bytes : undefined;
}

function toKey(secret: HmacSecret): Uint8Array {
  return typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
}

/**
 * The timestamp a sender put in a header, in whole seconds, when it is a plain decimal integer
 * within `toleranceSeconds` of now; otherwise `undefined` (missing, non-numeric, stale or future).
 */
export function freshTimestamp(value: string | undefined, toleranceSeconds: number): string | undefined {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value)) return undefined;
  const seconds = Number(value);
  const now = Date.now() / 1000;
  return Math.abs(now - seconds) <= toleranceSeconds ? value : undefined;
}
