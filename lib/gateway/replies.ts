/**
 * The answers the gateway makes itself: FC's gateway errors `{"ErrorCode","ErrorMessage"}` and the
 * function failures it reports in FC's runtime shape, each with the request id.
 */
import type { ServerResponse } from 'node:http';
import { UNHANDLED_INVOCATION_ERROR, type FunctionErrorBody, type GatewayError } from '../rules/errors.js';

function sendJson(res: ServerResponse, status: number, requestId: string, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
    'x-fc-request-id': requestId,
    ...extra,
  });
  res.end(json);
}

/** FC's gateway shape, `{"ErrorCode","ErrorMessage"}`, for the gateway's own codes. */
export function sendFcError(res: ServerResponse, requestId: string, error: GatewayError, extra: Record<string, string> = {}): void {
  sendJson(res, error.status, requestId, error, extra);
}

/** A function failure the gateway reports itself, in FC's runtime shape, with `x-fc-error-type`. */
export function sendFunctionFailure(res: ServerResponse, status: number, requestId: string, body: FunctionErrorBody): void {
  sendJson(res, status, requestId, body, { 'x-fc-error-type': UNHANDLED_INVOCATION_ERROR });
}
