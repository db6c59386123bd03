/**
 * The state of one request, and where the runtime keeps it on Node's request and response so
 * the listeners it adds there (plain functions, no closures) find it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Context, type ContextSource } from './context.js';
import { RequestHeaderScan } from '../rules/request-headers.js';
import { ROUTE_HTTP, ROUTE_INITIALIZE, type Route } from './control-paths.js';
import type { Runtime } from './runtime.js';

/** The state of one request (its header scan's facts first); the handler sees it through its {@link Context}. */
export class Invocation extends RequestHeaderScan implements ContextSource {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly runtime: Runtime;
  readonly startedAt: number;
  route: Route = ROUTE_HTTP;
  /** The End marker is queued, or markers are off so none is due: the request is over for FC's log. */
  endMarkerWritten = false;
  /** The outcome is chosen (a result, an error, the timeout, a refusal, or the client left): anything later is dropped. */
  answered = false;
  /** The request is in the runtime's body watch (body-timeout.ts), until it is marked over. */
  inBodyWatch = false;
  timer: NodeJS.Timeout | undefined = undefined;
  #context: Context | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, runtime: Runtime) {
    super();
    this.req = req;
    this.res = res;
    this.runtime = runtime;
    this.startedAt = Date.now();
  }

  get context(): Context {
    return this.#context ??= new Context(this);
  }

  /** The context if a handler has been given one. */
  get contextIfCreated(): Context | undefined {
    return this.#context;
  }

  get headers(): IncomingMessage['headers'] {
    return this.req.headers;
  }

  /** The timeout that applies to this request, in seconds (the Initializer has its own). */
  get timeoutSeconds(): number {
    return this.route === ROUTE_INITIALIZE ? this.initializationTimeout : this.functionTimeout;
  }
}

/**
 * Where a request's {@link Invocation} is kept on its `req` and `res`: the runtime's listeners
 * there are shared plain functions (no closure per request), so they find their state through it.
 */
export const kInvocation = Symbol('fc-container.invocation');
/** A request that may carry its {@link Invocation}. */
export type FcRequest = IncomingMessage & { [kInvocation]?: Invocation };
/** A response that may carry its {@link Invocation}; `_hasBody` is Node's own flag (http-response-head.ts). */
export type FcResponse = ServerResponse & { [kInvocation]?: Invocation; _hasBody?: boolean };
