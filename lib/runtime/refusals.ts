/**
 * Requests the runtime refuses before any handler runs: no Host on HTTP/1.1, over a limit, an
 * expectation it cannot meet. FC's 400 with `connection: close`, the rest of the body drained.
 */
import type { ServerResponse } from 'node:http';
import { drainRequest } from '../rules/body.js';
import { GatewayError } from '../rules/errors.js';
import { checkRequestLimits } from '../rules/limit-checks.js';
import type { Invocation } from './invocation.js';
import { log } from './invocation-log.js';
import { sendFinalWrite } from './markers.js';
import { sendGatewayError } from '../rules/response.js';

/**
 * The first rule a request breaks, if any: an HTTP/1.1 request without Host (RFC 9112 §3.2 says
 * 400), then the limits: path, headers, a declared body size.
 */
export function checkRequest(inv: Invocation, url: string): GatewayError | undefined {
  if (!inv.hasHost && inv.req.httpVersionMinor === 1 && inv.req.httpVersionMajor === 1) {
    return new GatewayError('FC_BAD_REQUEST', 'Malformed HTTP request (an HTTP/1.1 request needs a Host header)');
  }
  return checkRequestLimits(url, inv.headerBytes, inv.contentLength, inv.runtime.options.limits);
}

/** How a refused request's connection ends: closed after the answer, drained, or half-closed and drained. */
const CLOSE_AFTER_ANSWER = 0;
const DRAIN_THEN_CLOSE = 1;
const HALF_CLOSE_AND_DRAIN = 2;
type RefusalClose = typeof CLOSE_AFTER_ANSWER | typeof DRAIN_THEN_CLOSE | typeof HALF_CLOSE_AND_DRAIN;

/**
 * Answers a request over a limit with FC's 400 and `connection: close`, then drains what is left
 * of its body before closing. With `Expect: 100-continue` the client gets the 400 instead of
 * `100 Continue` (RFC 9110 §10.1.1); it may have sent the body anyway without waiting (RFC 9110
 * §10.1.1 allows it), so that is drained too, while the connection is half-closed once the 400 is
 * out, so a client that does wait sees the end at once.
 */
export function refuseRequest(inv: Invocation, error: GatewayError, expectContinue: boolean): void {
  log(inv, 'warn', `Request refused: ${error.message}`);
  inv.answered = true;
  // A stalled body is not drained: the client is not sending it.
  const close = error.code === 'FC_BODY_TIMEOUT' ? CLOSE_AFTER_ANSWER : expectContinue ? HALF_CLOSE_AND_DRAIN : DRAIN_THEN_CLOSE;
  sendFinalWrite(inv, sendRefusal, error, close);
}

/** Sends FC's 400 with `connection: close`, then drains the rest of the body as `close` says. */
function sendRefusal(res: ServerResponse, error: GatewayError, close: RefusalClose): void {
  sendGatewayError(res, error, true);
  if (close !== CLOSE_AFTER_ANSWER) drainRequest(res.req, res, close === HALF_CLOSE_AND_DRAIN);
}
