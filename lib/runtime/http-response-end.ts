/**
 * `res.end` of an HTTP function, which waits for the End marker, and the handover of the
 * response to the runtime when the runtime answers in the handler's place.
 */
import { ServerResponse } from 'node:http';
import { checkEndArguments } from './end-checks.js';
import { frameByLength } from './framing.js';
import { kInvocation, type FcResponse, type Invocation } from './invocation.js';
import { log } from './invocation-log.js';
import { ignoreLateCalls } from './late-writes.js';
import { sendFinalWrite } from './markers.js';

/**
 * The runtime answers an HTTP function's request itself: from now on the handler's calls on its
 * response are ignored (late-writes.ts), logged once. A no-op for other routes, whose handlers
 * never see the response.
 */
export function detachHandler(inv: Invocation): void {
  if (inv.res.end === endWithMarker) ignoreLateCalls(inv.res, reportLateCall);
}

function reportLateCall(res: ServerResponse): void {
  const inv = (res as FcResponse)[kInvocation]!;
  log(inv, 'warn', 'The function wrote to its response after the runtime had answered the request: ignored');
}

/**
 * `res.end` of an HTTP function: queues the End marker and makes the real `end` wait for it (in
 * this same turn; see output.ts). Returns the response, as `end` does. What Node's `end` would
 * throw to its caller (a bad chunk, encoding or status code) is thrown here, in the handler's
 * turn, so the handler (or its framework's error handling) sees it as on a plain Node server.
 */
export function endWithMarker(this: FcResponse): ServerResponse {
  const inv = this[kInvocation]!;
  // eslint-disable-next-line prefer-rest-params -- the same arguments end() will get
  checkEndArguments(this, arguments);
  inv.answered = true;
  // eslint-disable-next-line prefer-rest-params -- forward end()'s overloads untouched
  sendFinalWrite(inv, endNow, arguments, undefined);
  return this;
}

function endNow(res: ServerResponse, args: IArguments): void {
  frameByLength(res, args);
  ServerResponse.prototype.end.apply(res, args as unknown as Parameters<ServerResponse['end']>);
}
