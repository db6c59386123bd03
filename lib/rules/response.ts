/**
 * The responses the runtime writes itself: a handler's result, FC's gateway errors and function
 * errors. Each is one `writeHead` and one `end`, so Node sends headers and body in one write.
 */
import { ServerResponse } from 'node:http';
import type { FunctionErrorBody, GatewayError } from './errors.js';
import type { Payload } from './result.js';

/** `x-fc-status` values: how FC learns whether the function succeeded (a response without one counts as success). */
export const FC_STATUS_OK = '200';
export const FC_STATUS_FAILED = '404';

const JSON_TYPE = 'application/json';

/**
 * Node's own `writeHead` and `end`: the runtime's answers never go through a handler's response
 * overrides (the runtime's own, or the no-ops of late-writes.ts).
 */
const nodeWriteHead = ServerResponse.prototype.writeHead;
const nodeEnd = ServerResponse.prototype.end as (this: ServerResponse, body: string | Uint8Array) => ServerResponse;

/** Byte length of a body: `Buffer.byteLength` for a string (UTF-8), the view's length for bytes. */
function byteLength(body: string | Uint8Array): string {
  return String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
}

/**
 * Sends a serialised result with `x-fc-status: 200`. The runtime sets `content-length` itself:
 * after an explicit `writeHead`, Node would otherwise frame the body as chunked.
 */
export function sendPayload(res: ServerResponse, status: number, payload: Payload): void {
  nodeWriteHead.call(res, status, payload.contentType === undefined
    ? { 'content-length': byteLength(payload.body), 'x-fc-status': FC_STATUS_OK }
    : { 'content-type': payload.contentType, 'content-length': byteLength(payload.body), 'x-fc-status': FC_STATUS_OK });
  nodeEnd.call(res, payload.body);
}

/** Sends `{"ErrorCode","ErrorMessage"}` with the error's status, as FC's gateway does. */
export function sendGatewayError(res: ServerResponse, error: GatewayError, close = false): void {
  const body = JSON.stringify(error);
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'content-length': byteLength(body) };
  if (close) headers.connection = 'close';
  nodeWriteHead.call(res, error.status, headers);
  nodeEnd.call(res, body);
}

/**
 * Sends a function failure: `{"errorMessage","errorType"[,"stackTrace"]}` with `x-fc-status: 404`
 * so FC counts the failure, whatever the HTTP status.
 */
export function sendFunctionError(res: ServerResponse, status: number, body: FunctionErrorBody): void {
  const json = JSON.stringify(body);
  nodeWriteHead.call(res, status, { 'content-type': JSON_TYPE, 'content-length': byteLength(json), 'x-fc-status': FC_STATUS_FAILED });
  nodeEnd.call(res, json);
}
