/**
 * The function timeout FC sends with each request: the caller gets FC's error at the deadline,
 * and `context.signal` tells the handler to stop.
 */
import { kAbort } from './context.js';
import { FunctionError } from '../rules/errors.js';
import { ROUTE_HTTP } from './control-paths.js';
import { failInvocation } from './failures.js';
import { kInvocation, type FcResponse, type Invocation } from './invocation.js';
import { clearTimeout, setTimeout } from '../rules/timers.js';

/**
 * Starts the function timer when FC sent a timeout (`x-fc-function-timeout`, or
 * `x-fc-initialization-timeout` for the Initializer), counted from the request's arrival as FC
 * counts it. The handler cannot be stopped, but its caller gets an error at the deadline and the
 * server goes on; `context.signal` tells the handler to stop.
 */
export function armTimeout(inv: Invocation): void {
  const seconds = inv.timeoutSeconds;
  if (seconds === 0 || inv.answered) return;
  inv.timer = setTimeout(onFunctionTimeout, Math.max(0, inv.startedAt + seconds * 1000 - Date.now()), inv);
  inv.res.once('close', clearInvocationTimer);
  (inv.res as FcResponse)[kInvocation] = inv;
}

function clearInvocationTimer(this: FcResponse): void {
  clearTimeout(this[kInvocation]?.timer);
}

function onFunctionTimeout(inv: Invocation): void {
  if (inv.answered) return;
  const error = new FunctionError('FunctionTimeout', `Function timed out after ${inv.timeoutSeconds} seconds`);
  // The answer is chosen first, so whatever the handler does when told to stop is a late call.
  failInvocation(inv, error, inv.route === ROUTE_HTTP ? 504 : 404);
  // The handler cannot be stopped, but it can be told to stop.
  inv.contextIfCreated?.[kAbort](new DOMException(error.message, 'TimeoutError'));
}
