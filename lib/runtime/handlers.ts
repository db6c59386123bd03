/**
 * The handlers a function gives, and the checks that catch a wrong one at start-up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context } from './context.js';
import type { InitializeHandler } from './initialize.js';

export type { InitializeHandler };

/**
 * An event function: gets the event's exact bytes and the context; what it returns (or resolves
 * to) is the response body. See `serializeResult` for how each type is sent.
 */
export type InvokeHandler = (event: Buffer, context: Context) => unknown;

/**
 * A Node-style HTTP function: a real `IncomingMessage` and `ServerResponse`, so an Express app,
 * Koa's `app.callback()` or any `(req, res)` listener fits. An Express/Connect app (a function
 * with a `handle` method) is called without the third argument, which Express would read as `next`.
 */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, context: Context) => unknown;

/** A Fetch-style HTTP function: a Hono app's `app.fetch`, or any Web-standard handler. */
export type FetchHandler = (request: Request, context: Context) => Response | Promise<Response>;

/**
 * An HTTP upgrade (a WebSocket handshake that passed FC's rules): the first three arguments are
 * those of Node's `'upgrade'` event, what `ws`'s `handleUpgrade(req, socket, head, cb)` takes.
 * The connection is one invocation: its markers span it, `context.signal` aborts at the function
 * timeout (when the runtime destroys the socket) and at shutdown.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, context: Context) => unknown;

/** A lifecycle hook (`GET /pre-stop`, `GET /pre-freeze`). Its result is ignored; a throw is a failure. */
export type HookHandler = (context: Context) => unknown;

/** Every handler is optional; give `http` or `fetch` (not both) for an HTTP function. */
export interface Handlers {
  /** The Initializer: once per container, before the first invocation. */
  initialize?: InitializeHandler;
  /** The event function (`POST /invoke`). */
  invoke?: InvokeHandler;
  /** A Node-style HTTP function. */
  http?: HttpHandler;
  /** A Fetch-style HTTP function. */
  fetch?: FetchHandler;
  /** Runs before FC destroys the instance, and at SIGTERM unless FC already called it. */
  preStop?: HookHandler;
  /** Runs before FC freezes the instance (FC 2.0). */
  preFreeze?: HookHandler;
  /** WebSocket handshakes (`GET` with `Upgrade: websocket`), after FC's rules. */
  upgrade?: UpgradeHandler;
}

/** The names of {@link Handlers}, in the order `--help` lists them. */
export const HANDLER_NAMES = ['initialize', 'invoke', 'http', 'fetch', 'upgrade', 'preStop', 'preFreeze'] as const;

/**
 * Checks a handlers object: each given handler must be a function, and `http` and `fetch` cannot
 * both be given. Throws a `TypeError` naming the culprit.
 */
export function validateHandlers(handlers: Handlers): void {
  if (handlers === null || typeof handlers !== 'object') {
    throw new TypeError('createServer() needs a handlers object such as { invoke, http, initialize }');
  }
  for (const name of HANDLER_NAMES) {
    const handler = handlers[name];
    if (handler !== undefined && typeof handler !== 'function') {
      throw new TypeError(`Handler "${name}" must be a function, got ${handler === null ? 'null' : typeof handler}`);
    }
  }
  if (handlers.http && handlers.fetch) {
    throw new TypeError('Give either an "http" or a "fetch" handler, not both');
  }
}

/** True for an Express/Connect-style app, which reads a third argument as `next`. */
export function isConnectApp(handler: HttpHandler): boolean {
  return typeof (handler as { handle?: unknown }).handle === 'function';
}
