/**
 * A client that stopped sending its body (the runtime's body watch, body-timeout.ts): FC's 408
 * if nothing was sent yet, else the connection closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortBody, whenWritten } from '../rules/body.js';
import { GatewayError } from '../rules/errors.js';
import { ROUTE_INVOKE } from './control-paths.js';
import { detachHandler } from './http-response-end.js';
import { kInvocation, type FcRequest } from './invocation.js';
import { log } from './invocation-log.js';
import { asRuntime } from './late-writes.js';
import { markInvocationOver, sendFinalWrite } from './markers.js';
import { sendGatewayError } from '../rules/response.js';
import { clearResponseHeaders } from '../rules/remove-header.js';

/**
 * A client stopped sending its body for `bodyTimeoutMs` (body-timeout.ts). Answers 408 with
 * `connection: close` if nothing was sent yet, else closes the connection; an HTTP function
 * waiting on the body gets the error on `req`.
 */
export function onBodyStall(req: IncomingMessage): void {
  const inv = (req as FcRequest)[kInvocation]!;
  const error = new GatewayError('FC_BODY_TIMEOUT',
    `Request body stalled: no bytes for ${inv.runtime.options.bodyTimeoutMs} ms`);
  if (inv.route === ROUTE_INVOKE && inv.runtime.handlers.invoke) {
    // readBody is waiting: it reports the error to onEventBody, which answers.
    abortBody(req, error);
    return;
  }
  if (!inv.answered && !inv.res.headersSent) {
    log(inv, 'warn', `Request refused: ${error.message}`);
    inv.answered = true;
    detachHandler(inv);
    sendFinalWrite(inv, sendStallRefusal, error, undefined);
    // The handler hears of the stall once the 408 is out: destroying the request in its error
    // handling destroys the socket, which would lose an answer still held behind the markers.
    whenWritten(inv.res, emitRequestError, req, error);
    return;
  }
  markInvocationOver(inv);
  req.socket.destroy();
  process.nextTick(emitRequestError, req, error);
}

const sendStallRefusal = asRuntime((res: ServerResponse, error: GatewayError): void => {
  clearResponseHeaders(res);
  sendGatewayError(res, error, true);
});

function emitRequestError(req: IncomingMessage, error: Error): void {
  req.emit('error', error);
}
