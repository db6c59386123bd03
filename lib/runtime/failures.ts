/**
 * A failed function (a throw, a rejection, the timeout, an error on its streams) answered in
 * FC's shapes, secrets scrubbed.
 */
import { ServerResponse } from 'node:http';
import { describeError, GatewayError, redactGatewayError, type FunctionErrorBody } from '../rules/errors.js';
import { detachHandler } from './http-response-end.js';
import { ROUTE_HTTP } from './control-paths.js';
import type { Invocation } from './invocation.js';
import { log } from './invocation-log.js';
import { redact } from './logger.js';
import { asRuntime } from './late-writes.js';
import { markInvocationOver, sendFinalWrite } from './markers.js';
import { sendFunctionError, sendGatewayError } from '../rules/response.js';
import { clearResponseHeaders } from '../rules/remove-header.js';

const nodeDestroy = ServerResponse.prototype.destroy;

/**
 * Reports a failed function. Event functions and hooks answer FC's runtime error shape with the
 * stack; an HTTP client gets `{"errorMessage","errorType"}` only (the stack goes to the log) with
 * `x-fc-status: 404` so FC counts the failure. Once headers went out, the connection is closed so
 * the client sees a broken response, not a truncated one that looks whole. Secrets are scrubbed
 * from all of it.
 */
export function failInvocation(inv: Invocation, error: unknown, status: number): void {
  if (inv.answered) {
    log(inv, 'error', 'Error after the response was sent:', error);
    return;
  }
  inv.answered = true;
  const { res } = inv;
  detachHandler(inv);
  if (res.headersSent || res.writableEnded) {
    log(inv, 'error', error);
    markInvocationOver(inv);
    if (!res.writableEnded) nodeDestroy.call(res);
    return;
  }
  if (error instanceof GatewayError) {
    // The request itself was at fault (an adapter could not represent it): FC's gateway shape.
    log(inv, 'warn', `Request refused: ${error.message}`);
    sendFinalWrite(inv, sendFreshGatewayError, redactGatewayError(error, inv.context.secrets), undefined);
    return;
  }
  log(inv, 'error', error);
  const body = describeError(error, inv.route !== ROUTE_HTTP);
  const secrets = inv.context.secrets;
  body.errorMessage = redact(body.errorMessage, secrets);
  body.errorType = redact(body.errorType, secrets);
  if (body.stackTrace) body.stackTrace = body.stackTrace.map((frame) => redact(frame, secrets));
  sendFinalWrite(inv, sendFreshFunctionError, status, body);
}

/** Sends FC's gateway error on a response a handler may have half prepared. */
const sendFreshGatewayError = asRuntime((res: ServerResponse, error: GatewayError): void => {
  clearResponseHeaders(res);
  sendGatewayError(res, error);
});

/** Sends a function error on a response a handler may have half prepared. */
const sendFreshFunctionError = asRuntime((res: ServerResponse, status: number, body: FunctionErrorBody): void => {
  clearResponseHeaders(res);
  sendFunctionError(res, status, body);
});
