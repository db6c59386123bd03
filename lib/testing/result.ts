/** What a testing client's call returns: the container's answer, as FC's API would read it. */
import type { IncomingHttpHeaders } from 'node:http';

/** The answer to one call, and that invocation's own log lines. */
export interface TestResult {
  /** The container's status: 200, or 404 with `x-fc-status: 404` when the function failed. */
  status: number;
  /** The response headers, names in lower case, as `IncomingMessage.headers`. */
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
  /** The parsed error body (`{ errorMessage, errorType, stackTrace? }`, or FC's 400's) when the call failed. */
  error: { errorMessage?: string; errorType?: string; stackTrace?: string[]; [key: string]: unknown } | undefined;
  /**
   * What FC's API would put in `X-Fc-Error-Type`: `UnhandledInvocationError` for a function that
   * failed, `InitializationError` when its Initializer did; undefined when it did not fail.
   */
  errorType: string | undefined;
  /** This invocation's lines, in order: FC's markers, `context.logger`, the handler's own console and stdout. */
  logs: string[];
  requestId: string;
}

/** FC's `x-fc-status` of a function's failure (its runtime error body follows). */
const FC_STATUS_FAILED = '404';

/** Builds the result; a failure is one the function reported (`x-fc-status: 404`) or a refusal (4xx, 5xx). */
export function buildResult(status: number, headers: IncomingHttpHeaders, body: Buffer, requestId: string, logs: string[], controlPath: string): TestResult {
  const functionFailed = headers['x-fc-status'] === FC_STATUS_FAILED;
  // An HTTP function's own 4xx/5xx is its answer, not a failure; an event function's is one, and
  // so is the runtime's refusal (FC's error body) of any request.
  const failed = functionFailed || (status >= 400 && (controlPath !== '/http-invoke' || isRuntimeError(body)));
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
    error: failed ? parseError(body) : undefined,
    errorType: functionFailed ? 'UnhandledInvocationError' : undefined,
    logs,
    requestId,
  };
}

function parseError(body: Buffer): TestResult['error'] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? parsed as TestResult['error'] : { errorMessage: String(parsed) };
  } catch {
    return { errorMessage: body.toString('utf8') };
  }
}

/** FC's own error body (the runtime's refusals): `{ "ErrorCode", "ErrorMessage" }` or `{ "errorMessage", "errorType" }` alone. */
function isRuntimeError(body: Buffer): boolean {
  const text = body.toString('utf8');
  return text.startsWith('{"ErrorCode"') || text.startsWith('{"errorMessage"');
}
