/**
 * Adapts each Node request into a handler call: reads FC's headers in one pass, enforces the
 * request limits, prints the markers, dispatches on the control path, and writes the response.
 *
 * A request's path, and the file for each step:
 *   handleRequest (here)           health probe, one Invocation (invocation.ts), headers scanned
 *                                  (rules/headers.ts), local request id (request-id.ts), route
 *                                  (control-paths.ts), Start marker
 *   refusals.ts                    no Host, over a limit, an unmet Expect: FC's 400/417, drained
 *   event-functions.ts             /invoke, /initialize, /pre-stop, /pre-freeze: body read, handler
 *                                  called, payload sent
 *   http-function.ts               HTTP requests: runtime's writeHead (http-response-head.ts, FC's
 *                                  header rules) and end (http-response-end.ts) installed, handler
 *                                  called; its stream errors and an over-limit chunked body answered
 *   handler-call.ts                the Initializer first if needed, the context storage
 *   function-timeout.ts            FC's function timeout
 *   failures.ts                    a throw, a rejection, the timeout: FC's error shapes
 *   body-stall.ts                  a body that stopped arriving: 408
 *   markers.ts                     the End marker, then the response's final write
 *   invocation-log.ts              the runtime's log lines for the request
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../rules/body.js';
import { createExpectationError, FunctionError } from '../rules/errors.js';
import { scanRequestHeaders } from '../rules/request-headers.js';
import { resolveControlPath, ROUTE_INITIALIZE, ROUTE_INVOKE, ROUTE_PRE_FREEZE, ROUTE_PRE_STOP } from './control-paths.js';
import { EMPTY_EVENT, onEventBody, runEvent, runHook, runInitialize } from './event-functions.js';
import { failInvocation } from './failures.js';
import { runHttp } from './http-function.js';
import { Invocation, kInvocation, type FcRequest } from './invocation.js';
import { MARKER_KINDS, sendFinalWrite } from './markers.js';
import { writeMarker } from './output.js';
import { checkRequest, refuseRequest } from './refusals.js';
import { sendPayload } from '../rules/response.js';
import { createLocalRequestId } from './request-id.js';
import { EMPTY_PAYLOAD } from '../rules/result.js';
import type { Runtime } from './runtime.js';

/**
 * Returns the `request` listener for a runtime. The listener itself allocates one
 * {@link Invocation} per request; the context is built only when a handler runs.
 */
export function getRequestListener(runtime: Runtime): (req: IncomingMessage, res: ServerResponse) => void {
  return function onRequest(req, res) {
    handleRequest(runtime, req, res, EXPECT_NONE);
  };
}

/** What a request's `Expect` header asks: nothing, `100-continue`, or something else. */
export type Expectation = typeof EXPECT_NONE | typeof EXPECT_CONTINUE | typeof EXPECT_OTHER;
export const EXPECT_NONE = 0;
export const EXPECT_CONTINUE = 1;
export const EXPECT_OTHER = 2;

/**
 * Handles one request. `expect` is `EXPECT_CONTINUE` for `Expect: 100-continue` requests, which
 * Node hands to `checkContinue` without answering: the `100 Continue` goes out only once the
 * request has passed the limits, so an over-limit upload is refused before it is sent. Any other
 * expectation (Node's `checkExpectation`) is refused with FC's JSON 417 (RFC 9110 §10.1.1).
 */
export function handleRequest(runtime: Runtime, req: IncomingMessage, res: ServerResponse, expect: Expectation): void {
  const expectContinue = expect === EXPECT_CONTINUE;
  const url = req.url ?? '/';
  const { options } = runtime;
  if (options.healthPath && url === options.healthPath && (req.method === 'GET' || req.method === 'HEAD')) {
    if (expectContinue) res.writeContinue();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('OK');
    return;
  }

  const inv = new Invocation(req, res, runtime);
  scanRequestHeaders(req.rawHeaders, inv, runtime.hiddenRequestHeaders, runtime.hiddenNameLengths);
  if (!inv.requestId) inv.requestId = createLocalRequestId();
  inv.route = resolveControlPath(inv.controlPath, req.method, url);
  if (runtime.draining) res.shouldKeepAlive = false;
  if (options.markers) writeMarker(MARKER_KINDS[inv.route]!, 'Start', inv.requestId);
  else inv.endMarkerWritten = true;

  const refusal = expect === EXPECT_OTHER ? createExpectationError(req.headers.expect, inv.context.secrets) : checkRequest(inv, url);
  if (refusal) {
    refuseRequest(inv, refusal, expectContinue);
    return;
  }
  if (expectContinue) res.writeContinue();
  if (inv.contentLength > 0 || (inv.chunked && inv.contentLength === -1)) {
    (req as FcRequest)[kInvocation] = inv;
    inv.inBodyWatch = true;
    runtime.bodyWatch.watch(req);
  }

  const { handlers } = runtime;
  switch (inv.route) {
    case ROUTE_INVOKE:
      if (handlers.invoke) {
        if (inv.contentLength === 0) void runEvent(inv, EMPTY_EVENT);
        else readBody(req, options.limits.body, inv, onEventBody);
        return;
      }
      break;
    case ROUTE_INITIALIZE:
      if (runtime.gate) {
        void runInitialize(inv);
        return;
      }
      break;
    case ROUTE_PRE_STOP:
    case ROUTE_PRE_FREEZE: {
      const hook = inv.route === ROUTE_PRE_STOP ? handlers.preStop : handlers.preFreeze;
      if (inv.route === ROUTE_PRE_STOP) runtime.preStopCalled = true;
      if (hook) {
        void runHook(inv, hook);
        return;
      }
      if (!runtime.httpHandler) {
        // Nothing to do before the freeze or the stop: that is a success.
        sendFinalWrite(inv, sendPayload, 200, EMPTY_PAYLOAD);
        return;
      }
      break;
    }
  }
  if (runtime.httpHandler) {
    void runHttp(inv, runtime.httpHandler);
    return;
  }
  respondMissingHandler(inv);
}

function respondMissingHandler(inv: Invocation): void {
  const name = inv.route === ROUTE_INVOKE ? 'invoke' : inv.route === ROUTE_INITIALIZE ? 'initialize' : 'http or fetch';
  const what = inv.route === ROUTE_INVOKE ? 'an event invocation' : inv.route === ROUTE_INITIALIZE ? 'an initialize call' : 'an HTTP request';
  const error = new FunctionError('HandlerNotFound', `No "${name}" handler was given for ${what} (${inv.req.method} ${inv.req.url})`);
  failInvocation(inv, error, 404);
}
