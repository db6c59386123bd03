/**
 * The Fetch-style HTTP function adapter: a Node request becomes a `Request`, the handler's
 * `Response` streams back. Loaded only when a `fetch` handler is given.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from './context.js';
import type { FetchHandler, HttpHandler } from './handlers.js';
import type { Runtime } from './runtime.js';

export function createFetchListener(handler: FetchHandler, _runtime: Runtime): HttpHandler {
  return async (_req: IncomingMessage, _res: ServerResponse, context: Context) => {
    await handler(new Request('http://localhost/'), context);
    throw new Error('The Fetch adapter is not built yet');
  };
}
