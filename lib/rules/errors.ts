/**
 * The one catalogue of the errors both sides produce, the runtime and the local gateway, each with
 * a stable `code`, the HTTP status sent for it, and the error code FC's gateway uses
 * (`InvalidArgument` for a request over a limit, `BadResponse` for a response FC would refuse,
 * and the gateway's own: an unknown function or path, a function that did not start, shutdown).
 *
 * Two JSON shapes reach callers:
 * - gateway errors (a request or response breaking FC's rules): `{"ErrorCode","ErrorMessage"}`,
 *   the shape FC's own gateway sends;
 * - function errors (a handler failed): `{"errorMessage","errorType","stackTrace"}`, the shape
 *   FC's built-in runtimes report.
 */
import { redact } from './redact.js';

/** Stable codes, FC error codes and HTTP statuses of the errors the runtime and the gateway raise. */
export const ERRORS = {
  FC_REQUEST_HEADERS_TOO_LARGE: { status: 400, errorCode: 'InvalidArgument' },
  FC_PATH_TOO_LONG: { status: 400, errorCode: 'InvalidArgument' },
  FC_BODY_TOO_LARGE: { status: 400, errorCode: 'InvalidArgument' },
  FC_BAD_REQUEST: { status: 400, errorCode: 'InvalidArgument' },
  FC_HEADERS_TIMEOUT: { status: 408, errorCode: 'InvalidArgument' },
  FC_BODY_TIMEOUT: { status: 408, errorCode: 'InvalidArgument' },
  FC_EXPECTATION_FAILED: { status: 417, errorCode: 'InvalidArgument' },
  FC_RESPONSE_HEADERS_TOO_LARGE: { status: 502, errorCode: 'BadResponse' },
  FC_RESPONSE_TOO_LARGE: { status: 502, errorCode: 'BadResponse' },
  FC_ASYNC_PAYLOAD_TOO_LARGE: { status: 400, errorCode: 'EntityTooLarge' },
  // The gateway's own (lib/gateway/): its URLs, its instance, its shutdown.
  FC_FUNCTION_NOT_FOUND: { status: 404, errorCode: 'FunctionNotFound' },
  FC_PATH_NOT_FOUND: { status: 404, errorCode: 'PathNotFound' },
  FC_METHOD_NOT_ALLOWED: { status: 405, errorCode: 'MethodNotAllowed' },
  FC_FUNCTION_NOT_STARTED: { status: 502, errorCode: 'FunctionNotStarted' },
  FC_SHUTTING_DOWN: { status: 503, errorCode: 'ServiceUnavailable' },
} as const;

/** `x-fc-error-type` of a function's failure (FC's HTTP trigger docs: function errors). */
export const UNHANDLED_INVOCATION_ERROR = 'UnhandledInvocationError';
/**
 * `x-fc-error-type` of an invocation whose Initializer failed or timed out: "the server always
 * returns an HTTP 200 status code. You must check the X-Fc-Error-Type:InitializationError"
 * (https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/lifecycle-hooks-for-function-instances-in-a-custom-runtime).
 */
export const INITIALIZATION_ERROR = 'InitializationError';
/** `x-fc-error-type` of a request FC refuses (FC's HTTP trigger docs: request errors). */
export const FC_COMMON_ERROR = 'FcCommonError';

/** One of the stable codes in {@link ERRORS}. */
export type GatewayErrorCode = keyof typeof ERRORS;

/**
 * An error the runtime answers with FC's gateway shape, `{"ErrorCode","ErrorMessage"}`.
 * `limit` and `size` carry the numbers behind a limit error (bytes), `size` being what was seen
 * so far when the count stopped at the limit (a chunked body is not read further).
 */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly code: GatewayErrorCode;
  readonly status: number;
  readonly errorCode: string;
  readonly limit: number | undefined;
  readonly size: number | undefined;

  constructor(code: GatewayErrorCode, message: string, limit?: number, size?: number) {
    super(message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.errorCode = ERRORS[code].errorCode;
    this.limit = limit;
    this.size = size;
  }

  /** The body FC's gateway sends for this error. */
  toJSON(): { ErrorCode: string; ErrorMessage: string } {
    return { ErrorCode: this.errorCode, ErrorMessage: this.message };
  }
}

/**
 * A request over one of FC's limits. Emitted as `'error'` on the request stream of an HTTP
 * function that reads past the body limit, so `err instanceof LimitError` tells it apart.
 */
export class LimitError extends GatewayError {
  override readonly name: string = 'LimitError';
}

/**
 * FC's 417 for an `Expect` other than `100-continue`, quoting it (cut to 100 characters) scrubbed
 * of `secrets` first: a secret cut short would no longer be found.
 */
export function createExpectationError(expect: unknown, secrets: readonly string[]): GatewayError {
  return new GatewayError('FC_EXPECTATION_FAILED', `Unsupported expectation: Expect: ${redact(String(expect), secrets).slice(0, 100)}`);
}

/**
 * `error` with its message scrubbed of `secrets` (itself when nothing is to go): a message quoting
 * the request (the Fetch adapter's refused Host) goes into FC's error body as into the log.
 */
export function redactGatewayError(error: GatewayError, secrets: readonly string[]): GatewayError {
  const message = redact(error.message, secrets);
  return message === error.message ? error : new GatewayError(error.code, message, error.limit, error.size);
}

/** A function failure that is not a thrown `Error`: a missing handler or a timeout. */
export class FunctionError extends Error {
  readonly errorType: string;
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
    this.errorType = errorType;
  }
}

/** The JSON body FC's built-in runtimes send for a failed function. */
export interface FunctionErrorBody {
  errorMessage: string;
  errorType: string;
  stackTrace?: string[];
}

/**
 * Describes anything a handler threw. An `Error` gives its message, its name (or constructor
 * name) and its stack frames; a thrown string gives itself as the message; any other value
 * (`null`, a number, a plain object) is shown with `String()`, typed by what it is. A getter that
 * throws while being read is not allowed to break the report.
 */
export function describeError(error: unknown, withStack: boolean): FunctionErrorBody {
  if (error instanceof Error) {
    let errorType = 'Error';
    let errorMessage = '';
    let stack = '';
    try {
      errorType = (error as { errorType?: unknown }).errorType as string || error.name || error.constructor?.name || 'Error';
      errorMessage = String(error.message);
      stack = typeof error.stack === 'string' ? error.stack : '';
    } catch { /* a hostile getter: keep what was read */ }
    if (!withStack) return { errorMessage, errorType: String(errorType) };
    return { errorMessage, errorType: String(errorType), stackTrace: toStackFrames(stack) };
  }
  let errorMessage: string;
  try {
    errorMessage = typeof error === 'string' ? error : String(error);
  } catch {
    errorMessage = Object.prototype.toString.call(error);
  }
  const errorType = error === null ? 'null' : typeof error === 'object' ? 'Object' : typeof error;
  return withStack ? { errorMessage, errorType, stackTrace: [] } : { errorMessage, errorType };
}

/** The frames of a V8 stack (`at ...` lines), trimmed, without the leading message lines. */
export function toStackFrames(stack: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('at ')) frames.push(trimmed);
  }
  return frames;
}
