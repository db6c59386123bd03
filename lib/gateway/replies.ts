/**
 * The answers the gateway makes itself: FC's platform errors, shaped as the API the caller used
 * expects, and the function failures it reports in FC's runtime shape, each with the request id.
 */
import type { ReplyTarget } from './call.js';
import { UNHANDLED_INVOCATION_ERROR, type FunctionErrorBody, type GatewayError } from '../rules/errors.js';
import type { HttpRoute, InvokeRoute } from './routes.js';

/**
 * Which platform-error body a caller gets. FC 3.0's API (2023-03-30) documents its Error
 * structure as `{"Code","Message","RequestId"}`
 * (https://help.aliyun.com/zh/functioncompute/fc/developer-reference/api-fc-2023-03-30-struct-error),
 * which `@alicloud/openapi-core` reads (`Code`, else `code`); FC 2.0's API and the HTTP trigger
 * answer `{"ErrorCode","ErrorMessage"}`, what `@alicloud/fc2` reads into its error's code.
 */
export type ErrorShape = 'fc3-api' | 'fc2';

const FC3_API_PREFIX = '/2023-03-30/';

/** The shape for a request target: FC 3.0's API by its path, everything else FC 2.0's. */
export function readErrorShape(url: string): ErrorShape {
  return url.startsWith(FC3_API_PREFIX) ? 'fc3-api' : 'fc2';
}

/** The shape for a routed request: FC 3.0's API for its InvokeFunction, else FC 2.0's. */
export function readRouteShape(route: InvokeRoute | HttpRoute): ErrorShape {
  return route.kind === 'invoke' && route.api === 'fc3' ? 'fc3-api' : 'fc2';
}

/** A platform error's body in a shape. */
export function formatPlatformError(error: GatewayError, requestId: string, shape: ErrorShape): string {
  return JSON.stringify(shape === 'fc3-api' ? { Code: error.errorCode, Message: error.message, RequestId: requestId } : error);
}

function sendJson(res: ReplyTarget, status: number, requestId: string, json: string, extra: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
    'x-fc-request-id': requestId,
    ...extra,
  });
  res.end(json);
}

/** A platform error with its status, in the caller's API's shape. */
export function sendFcError(res: ReplyTarget, requestId: string, error: GatewayError, shape: ErrorShape, extra: Record<string, string> = {}): void {
  sendJson(res, error.status, requestId, formatPlatformError(error, requestId, shape), extra);
}

/**
 * A function failure the gateway reports itself (a timeout, a crash), in FC's runtime shape with
 * `x-fc-error-type`: on an invocation API with status 200, as FC answers InvokeFunction
 * ("X-Fc-Error-Type: UnhandledInvocationError" beside the error JSON,
 * https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-1), through the HTTP
 * trigger with `status`.
 */
export function sendFunctionFailure(res: ReplyTarget, status: number, requestId: string, body: FunctionErrorBody, errorType = UNHANDLED_INVOCATION_ERROR, extra: readonly string[] = []): void {
  sendJson(res, status, requestId, JSON.stringify(body), { 'x-fc-error-type': errorType, ...pairsToObject(extra) });
}

/** A flat name/value list as a header object. */
export function pairsToObject(pairs: readonly string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) object[pairs[i]!] = pairs[i + 1]!;
  return object;
}
