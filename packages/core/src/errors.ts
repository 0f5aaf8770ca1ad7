/**
 * Every error code hookrun answers with: the webhook endpoint's, `hooks.runs`', and the dashboard
 * API's. Stable: callers switch on it.
 */
export type HookrunErrorCode =
  | "method_not_allowed"
  | "unauthorized"
  | "payload_too_large"
  | "invalid_json"
  | "unsupported_encoding"
  | "request_timeout"
  | "invalid_payload"
  | "queue_full"
  | "shutting_down"
  | "queue_unavailable"
  | "internal_error"
  // hooks.runs (and the dashboard's API): not answers of the webhook endpoint.
  | "run_not_found"
  | "replay_unavailable"
  | "invalid_filter"
  // The dashboard's API (@hookrun/dashboard).
  | "forbidden"
  | "csrf_required"
  | "cross_origin"
  | "not_found"
  | "invalid_request";

const STATUS: Record<HookrunErrorCode, number> = {
  method_not_allowed: 405,
  unauthorized: 401,
  payload_too_large: 413,
  invalid_json: 400,
  unsupported_encoding: 415,
  request_timeout: 408,
  invalid_payload: 422,
  queue_full: 429,
  shutting_down: 503,
  queue_unavailable: 503,
  internal_error: 500,
  run_not_found: 404,
  replay_unavailable: 409,
  invalid_filter: 400,
  forbidden: 403,
  csrf_required: 403,
  cross_origin: 403,
  not_found: 404,
  invalid_request: 400,
};

const TITLE: Record<HookrunErrorCode, string> = {
  method_not_allowed: "Method Not Allowed",
  unauthorized: "Unauthorized",
  payload_too_large: "Payload Too Large",
  invalid_json: "Invalid JSON",
  unsupported_encoding: "Unsupported Content-Encoding",
  request_timeout: "Request Timeout",
  invalid_payload: "Invalid Payload",
  queue_full: "Queue Full",
  shutting_down: "Shutting Down",
  queue_unavailable: "Queue Unavailable",
  internal_error: "Internal Server Error",
  run_not_found: "Run Not Found",
  replay_unavailable: "Replay Unavailable",
  invalid_filter: "Invalid Filter",
  forbidden: "Forbidden",
  csrf_required: "Forbidden",
  cross_origin: "Forbidden",
  not_found: "Not Found",
  invalid_request: "Bad Request",
};

/** The HTTP status that goes with an error code (an error may say another, see `HookrunError`'s `status` option). */
export function statusOf(code: HookrunErrorCode): number {
  return STATUS[code];
}

/**
 * A request that hookrun refuses. `code` and `status` are stable; `message` is the problem's
 * `detail` and never contains a secret or the payload. `headers` are added to the response
 * (`Allow`, `WWW-Authenticate`, `Retry-After`, ...). `status` is the code's (`statusOf`) unless
 * `options.status` says otherwise: one code may cover two statuses, as the dashboard's
 * `invalid_request` does (400, and 413 for an oversize body).
 */
export class HookrunError extends Error {
  override readonly name = "HookrunError";
  readonly code: HookrunErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Extra members of the problem document (RFC 9457 extensions), e.g. `issues` for `invalid_payload`. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: HookrunErrorCode,
    detail: string,
    options?: { status?: number; headers?: Record<string, string>; extensions?: Record<string, unknown>; cause?: unknown },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status ?? STATUS[code];
    this.headers = options?.headers ?? {};
    this.extensions = options?.extensions ?? {};
  }

  /** The RFC 9457 problem document for this error. */
  toProblem(): ProblemDetails {
    return { type: `urn:hookrun:problem:${this.code}`, title: TITLE[this.code], status: this.status, detail: this.message, code: this.code, ...this.extensions };
  }
}

/** RFC 9457 problem document, as sent in every error response body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: HookrunErrorCode;
  /** Extension members, such as `issues` on `invalid_payload`. */
  [extension: string]: unknown;
}

/**
 * Thrown only while creating hookrun objects (`createInboundWebhooks`, `bearer`, `memoryRunner`)
 * when an option is wrong; never while serving a request. `field` names the offending option.
 */
export class HookrunConfigError extends Error {
  override readonly name = "HookrunConfigError";
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`hookrun: invalid option \`${field}\`: ${problem}`);
    this.field = field;
  }
}
