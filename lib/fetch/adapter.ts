/**
 * The Fetch-style HTTP function adapter: a Node request becomes a light `Request`, the handler's
 * `Response` goes back onto the Node response. Loaded only when a `fetch` handler is given.
 *
 * The runtime's listener has already hidden the request headers FC never forwards, stripped the
 * base path from `req.url`, guarded a chunked body against the limit, and installed its
 * `writeHead`/`end` overrides (forbidden response headers, the response-header limit, the End
 * marker); it also answers a throw or rejection of the returned promise. The adapter only
 * translates, both ways, and builds Node's own `Request`/`Response` only when something needs
 * them:
 *
 * - the light request serves method, URL and headers from `req`; `text()`/`json()` read the body
 *   into one buffer; a streamed body pulls from `req` (pause/resume), so an upload moves only as
 *   fast as the handler reads it; `request.signal` aborts when the client goes away first;
 * - a light response with a string, bytes or JSON body is written with one `writeHead` and one
 *   `end` in the turn the handler returned it; a stream body is read chunk by chunk and written
 *   with `'drain'` waits (chunks yielded at once still go out as one `end()`).
 *
 * Per-request state lives in one object on the response and one on the request; the listeners
 * are shared functions reading it through `this`, so no closure is made per request or chunk.
 *
 * A request's path through lib/fetch/: this file's fetchListener → request.ts (the URL, the
 * method) → light-request.ts (the Request; read-body.ts its whole body, body.ts its body stream)
 * → the handler → response.ts (light-response.ts's fields, or Node's Response) →
 * response-body.ts (a body read and written chunk by chunk). exchange.ts holds the state of the
 * pair, shared.ts what the runtime injects, globals.ts and natives.ts the global classes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../runtime/context.js';
import type { FetchHandler, HttpHandler } from '../runtime/handlers.js';
import { Exchange } from './exchange.js';
import { installFetchGlobals } from './globals.js';
import { getNodeRequest } from './light-request.js';
import { isLightResponse } from './light-response.js';
import { createRequest, refuseRequest } from './request.js';
import { sendResponse } from './response.js';
import { installShared, type FetchShared } from './shared.js';
import { describeValue, isResponseLike } from './values.js';

export type { FetchShared } from './shared.js';

/** How the adapter is set up for a server. */
export interface FetchAdapterOptions {
  /**
   * Install the light `Response` as `globalThis.Response`, and a `Request` and a `fetch` that
   * accept the light requests (globals.ts); default true. When false, the handler gets Node's
   * own `Request` and its Responses are read as streams.
   */
  globals: boolean;
}

/**
 * Adapts a Fetch handler (`(request, context) => Response`, such as a Hono app's `app.fetch`) to
 * the runtime's Node-style HTTP handler. A handler that returns its Response at once (not a
 * promise) has it written in the same turn: no promise or microtask comes in between.
 */
export function createFetchListener(handler: FetchHandler, runtimeShared: FetchShared, options: FetchAdapterOptions = { globals: true }): HttpHandler {
  installShared(runtimeShared);
  if (options.globals) installFetchGlobals();
  const light = options.globals;
  return function fetchListener(req: IncomingMessage, res: ServerResponse, context: Context): void | Promise<void> {
    // The runtime answered before the adapter ran (a body over the limit while this module was
    // loading, a timeout): nothing is left to do.
    if (res.headersSent || res.writableEnded) return;
    const exchange = new Exchange(res);
    let request: Request;
    try {
      const created = createRequest(req, exchange);
      request = (light ? created : getNodeRequest(created)) as unknown as Request;
    } catch (error) {
      // Nothing a Request can carry: a Host header that would change the URL, a target that is not
      // a path, a method fetch forbids (TRACE). The client's fault, not the function's: the runtime
      // answers a GatewayError with FC's 400.
      refuseRequest(error);
    }

    const result = handler(request, context);
    if (result !== null && typeof result === 'object' && typeof (result as Promise<Response>).then === 'function') {
      return sendLater(exchange, result as Promise<Response>, req.method === 'HEAD');
    }
    return send(exchange, result as Response, req.method === 'HEAD');
  };
}

async function sendLater(exchange: Exchange, pending: Promise<Response>, head: boolean): Promise<void> {
  let response: Response;
  try {
    response = await pending;
  } catch (error) {
    // The client left and the handler's fetch() rejected with our abort: not the function's error.
    if (exchange.closed && error === exchange.abortReason) return;
    throw error;
  }
  await send(exchange, response, head);
}

function send(exchange: Exchange, response: Response, head: boolean): void | Promise<void> {
  // A light response first: isResponseLike() would read (and so build) its headers.
  if (response === null || typeof response !== 'object' || (!isLightResponse(response) && !isResponseLike(response))) {
    throw new TypeError(`The fetch handler must return a Response (or a promise of one), got ${describeValue(response)}`);
  }
  return sendResponse(exchange, response, head);
}
