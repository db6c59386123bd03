/**
 * The Fetch-style HTTP function adapter: a Node request becomes a `Request`, the handler's
 * `Response` streams back. Loaded only when a `fetch` handler is given.
 *
 * The runtime's listener has already hidden the request headers FC never forwards, stripped the
 * base path from `req.url`, guarded a chunked body against the limit, and installed its
 * `writeHead`/`end` overrides (forbidden response headers, the response-header limit, the End
 * marker); it also answers a throw or rejection of the returned promise. The adapter only
 * translates, both ways, with backpressure:
 *
 * - the request body is a `ReadableStream` that pulls from `req` (pause/resume), so a body is never
 *   buffered and an upload moves only as fast as the handler reads it; a request `'error'` (the
 *   runtime's `LimitError`, a client gone mid-upload) errors the stream;
 * - `request.signal` aborts when the client goes away before the response has finished;
 * - the response body is read chunk by chunk and written with `'drain'` waits. Chunks the body
 *   yields at once (a string, bytes, a JSON body: everything produced before the event loop
 *   turns) go out as one `end()` with a `content-length`; a body still pending at the next turn
 *   (server-sent events, a slow stream) gets its headers flushed then, and is streamed chunked.
 *
 * Per-request state lives in one object on the response and one on the request; the listeners
 * are shared functions reading it through `this`, so no closure is made per request or chunk.
 *
 * A request's path through lib/fetch/: this file's handleFetch → request.ts (the Request; body.ts
 * its body stream; fetch-request.ts and node-slots.ts its signal) → the handler → response.ts
 * (status, headers, a body known at once) → response-body.ts (a body read and written chunk by
 * chunk). exchange.ts holds the state of the pair, shared.ts what the runtime injects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../runtime/context.js';
import type { FetchHandler, HttpHandler } from '../runtime/handlers.js';
import { Exchange, kExchange, onResponseClose, type ExchangeResponse } from './exchange.js';
import { createRequest, refuseRequest } from './request.js';
import { sendResponse } from './response.js';
import { installShared, type FetchShared } from './shared.js';
import { describeValue, isResponseLike } from './values.js';

export type { FetchShared } from './shared.js';

/**
 * Adapts a Fetch handler (`(request, context) => Response`, such as a Hono app's `app.fetch`) to
 * the runtime's Node-style HTTP handler.
 */
export function createFetchListener(handler: FetchHandler, runtimeShared: FetchShared): HttpHandler {
  installShared(runtimeShared);
  return function fetchListener(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
    return handleFetch(handler, req, res, context);
  };
}

async function handleFetch(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
  // The runtime answered before the adapter ran (a body over the limit while this module was
  // loading, a timeout): nothing is left to do.
  if (res.headersSent || res.writableEnded) return;
  const exchange = new Exchange(res);
  let request: Request;
  try {
    request = createRequest(req, exchange);
  } catch (error) {
    // Nothing a Request can carry: a Host header that would change the URL, a target that is not
    // a path, a method fetch forbids (TRACE). The client's fault, not the function's: the runtime
    // answers a GatewayError with FC's 400.
    refuseRequest(error);
  }
  (res as ExchangeResponse)[kExchange] = exchange;
  res.on('close', onResponseClose);
  // The client left before the function started: it runs with its signal already aborted.
  if (res.destroyed) onResponseClose.call(res as ExchangeResponse);

  let response: Response;
  try {
    response = await handler(request, context);
  } catch (error) {
    // The client left and the handler's fetch() rejected with our abort: not the function's error.
    if (exchange.closed && error === exchange.controller.signal.reason) return;
    throw error;
  }
  if (!(response instanceof Response) && !isResponseLike(response)) {
    throw new TypeError(`The fetch handler must return a Response (or a promise of one), got ${describeValue(response)}`);
  }
  await sendResponse(exchange, response, req.method === 'HEAD');
}
