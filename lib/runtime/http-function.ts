/**
 * HTTP functions (Node style; Fetch handlers come through the same path, adapted in
 * lib/fetch/): the request prepared, the runtime's `writeHead` and `end` installed, the handler
 * called, and its streams' errors and an over-limit streamed body answered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { guardRequestBody, holdConnectionOpen } from '../rules/body.js';
import { GatewayError, type LimitError } from '../rules/errors.js';
import { hideRequestHeaders } from '../rules/request-headers.js';
import { stripBasePath } from './control-paths.js';
import { failInvocation } from './failures.js';
import { armTimeout } from './function-timeout.js';
import { callHandler, ensureInitialized, needsInitializer } from './handler-call.js';
import { isConnectApp, type HttpHandler } from './handlers.js';
import { detachHandler, endWithMarker } from './http-response-end.js';
import { writeHeadChecked } from './http-response-head.js';
import { kInvocation, type FcRequest, type FcResponse, type Invocation } from './invocation.js';
import { log } from './invocation-log.js';
import { asRuntime } from './late-writes.js';
import { markInvocationOver, sendFinalWrite } from './markers.js';
import { sendGatewayError } from '../rules/response.js';
import { clearResponseHeaders } from '../rules/remove-header.js';

/**
 * Runs an HTTP function: hides what FC never forwards, strips the base path, counts a chunked body
 * against the limit, installs the runtime's `writeHead` and `end`, and calls the handler (after
 * the Initializer). A throw or rejection before it answered is its failure (500).
 */
export async function runHttp(inv: Invocation, handler: HttpHandler): Promise<void> {
  const { req, res, runtime } = inv;
  const { options } = runtime;
  (req as FcRequest)[kInvocation] = inv;
  (res as FcResponse)[kInvocation] = inv;
  if (inv.hasHiddenHeaders) hideRequestHeaders(req, runtime.hiddenRequestHeaders);
  if (inv.basePath && options.stripBasePath) req.url = stripBasePath(req.url ?? '/', inv.basePath);
  // A body without content-length could run past the limit: count it as the parser delivers it.
  if (inv.contentLength === -1 && inv.chunked) {
    guardRequestBody(req, res, options.limits.body, onHttpBodyRefused);
  }
  // Own properties, not a subclass: Express swaps the response's prototype for its own.
  res.writeHead = writeHeadChecked as ServerResponse['writeHead'];
  res.end = endWithMarker as ServerResponse['end'];
  req.on('error', onHttpStreamError);
  res.on('error', onHttpStreamError);
  res.on('close', onHttpResponseClose);

  if (needsInitializer(inv) && !(await ensureInitialized(inv))) return;
  armTimeout(inv);
  try {
    const result = isConnectApp(handler)
      ? callHandler(inv, handler as (req: IncomingMessage, res: ServerResponse) => unknown, req, res)
      : callHandler(inv, handler, req, res, inv.context);
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      await result;
    }
  } catch (error) {
    failInvocation(inv, error, 500);
  }
}

function onHttpResponseClose(this: FcResponse): void {
  markInvocationOver(this[kInvocation]!);
}

/** An `'error'` on `req` or `res` before the handler responded is the function's failure. */
function onHttpStreamError(this: FcRequest | FcResponse, error: Error): void {
  const inv = this[kInvocation]!;
  if (error instanceof GatewayError) return; // answered when the limit was passed or the body stalled
  if (inv.req.socket?.destroyed) {
    inv.answered = true;
    markInvocationOver(inv);
    return;
  }
  failInvocation(inv, error, 500);
}

/**
 * The streamed body of an HTTP function passed the limit. Answers 400 and returns true when the
 * handler has not started its response (the request then emits the {@link LimitError} once the
 * rest is drained, so the handler's error handling cannot close the socket before the client has
 * read its 400); returns false when a response is under way (the error is emitted at once).
 */
function onHttpBodyRefused(req: IncomingMessage, error: LimitError): boolean {
  const inv = (req as FcRequest)[kInvocation]!;
  if (inv.res.headersSent) return false;
  log(inv, 'warn', `Request refused: ${error.message}`);
  inv.answered = true;
  detachHandler(inv);
  sendFinalWrite(inv, sendHttpRefusal, error, undefined);
  return true;
}

/** Sends FC's 400 on an HTTP function's response and keeps the connection for the drain (body.ts). */
const sendHttpRefusal = asRuntime((res: ServerResponse, error: GatewayError): void => {
  clearResponseHeaders(res);
  sendGatewayError(res, error, true);
  holdConnectionOpen(res);
});
