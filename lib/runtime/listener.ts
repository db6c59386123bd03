/**
 * Adapts each Node request into a handler call: reads FC's headers in one pass, enforces the
 * request limits, prints the markers, dispatches on the control path, and writes the response.
 */
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import { getUtil } from './builtins.js';
import { abortBody, drainRequest, guardRequestBody, holdConnectionOpen, readBody, whenWritten } from '../rules/body.js';
import { Context, kAbort, type ContextSource } from './context.js';
import { createExpectationError, describeError, FunctionError, GatewayError, LimitError, redactGatewayError, type FunctionErrorBody } from '../rules/errors.js';
import { checkRequestLimits, createResponseHeadersError } from '../rules/limit-checks.js';
import { frameByLength, getMeasuredLength, restoreMeasuredLength } from './framing.js';
import { applyWriteHeadHeaders, countHeaderBytes, filterHeaderObject, hideRequestHeaders, holdsNoHeaders, scanRequestHeaders, stripResponseHeaders, type RequestHeaderScan } from '../rules/headers.js';
import { isConnectApp, type HttpHandler } from './handlers.js';
import { formatLogLine, redact, type LogLevel, type MarkerKind } from './logger.js';
import { sendAfterMarkers, writeMarker, writeOut, type Sender } from './output.js';
import { FC_STATUS_FAILED, sendFunctionError, sendGatewayError, sendPayload } from '../rules/response.js';
import { clearResponseHeaders } from '../rules/remove-header.js';
import { checkEndArguments } from './end-checks.js';
import { asRuntime, ignoreLateCalls } from './late-writes.js';
import { generateRequestId } from './request-id.js';
import { EMPTY_PAYLOAD, serializeResult, type Payload } from '../rules/result.js';
import type { Runtime } from './runtime.js';

/** What a request is, decided from `x-fc-control-path`, else from its method and path. */
export const ROUTE_HTTP = 0;
export const ROUTE_INVOKE = 1;
export const ROUTE_INITIALIZE = 2;
export const ROUTE_PRE_STOP = 3;
export const ROUTE_PRE_FREEZE = 4;
type Route = 0 | 1 | 2 | 3 | 4;

const MARKER_KINDS: readonly MarkerKind[] = ['Invoke', 'Invoke', 'Initialize', 'PreStop', 'PreFreeze'];

/**
 * Decides the route. FC says what it sends in `x-fc-control-path`; a local client sends none, so
 * the wire decides: `POST /invoke`, `POST /initialize`, `GET /pre-stop`, `GET /pre-freeze`, and
 * everything else is an HTTP request. A query string does not change the route.
 */
export function resolveRoute(controlPath: string, method: string | undefined, url: string): Route {
  switch (controlPath) {
    case '/invoke': return ROUTE_INVOKE;
    case '/http-invoke': return ROUTE_HTTP;
    case '/initialize': return ROUTE_INITIALIZE;
    case '/pre-stop': return ROUTE_PRE_STOP;
    case '/pre-freeze': return ROUTE_PRE_FREEZE;
  }
  // Only paths starting "/i" or "/p" can be control paths: skip the slicing for every other URL.
  const second = url.charCodeAt(1);
  if (second !== 0x69 && second !== 0x70) return ROUTE_HTTP;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (method === 'POST') {
    if (path === '/invoke') return ROUTE_INVOKE;
    if (path === '/initialize') return ROUTE_INITIALIZE;
  } else if (method === 'GET') {
    if (path === '/pre-stop') return ROUTE_PRE_STOP;
    if (path === '/pre-freeze') return ROUTE_PRE_FREEZE;
  }
  return ROUTE_HTTP;
}

/**
 * Removes FC's default-domain prefix from a request target: with base path
 * `/2016-08-15/proxy/svc/fn/`, `/2016-08-15/proxy/svc/fn/api?x=1` becomes `/api?x=1` and the bare
 * `/2016-08-15/proxy/svc/fn` becomes `/`. A target that does not start with it is left alone.
 */
export function stripBasePath(url: string, basePath: string): string {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  if (!base || !url.startsWith(base)) return url;
  const rest = url.slice(base.length);
  if (rest === '') return '/';
  const next = rest.charCodeAt(0);
  if (next === 0x2f /* / */) return rest;
  if (next === 0x3f /* ? */) return '/' + rest;
  return url;
}

/** The state of one request; the handler sees it through its {@link Context}. */
export class Invocation implements ContextSource, RequestHeaderScan {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly runtime: Runtime;
  readonly startedAt: number;
  route: Route = ROUTE_HTTP;
  requestId = '';
  controlPath = '';
  basePath = '';
  functionTimeout = 0;
  initializationTimeout = 0;
  contentLength = -1;
  chunked = false;
  hasHost = false;
  headerBytes = 0;
  hasHiddenHeaders = false;
  /** The End marker was printed (or markers are off): the request is over for FC's log. */
  ended = false;
  /** A response was chosen (result, error or timeout); anything later is dropped. */
  settled = false;
  /** In the runtime's body watch (body-timeout.ts) until the response ends. */
  watched = false;
  timer: NodeJS.Timeout | undefined = undefined;
  #context: Context | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, runtime: Runtime) {
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

const kInvocation = Symbol('fc-container.invocation');
type FcRequest = IncomingMessage & { [kInvocation]?: Invocation };
type FcResponse = ServerResponse & { [kInvocation]?: Invocation; _hasBody?: boolean };

/** Node's own `writeHead` and `write`, loosely typed to forward whatever overload a handler used. */
const nodeWriteHead = ServerResponse.prototype.writeHead as (this: ServerResponse, status: number, ...rest: unknown[]) => ServerResponse;
const nodeWrite = ServerResponse.prototype.write as (this: ServerResponse, chunk: string) => boolean;
const nodeDestroy = ServerResponse.prototype.destroy;

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
  scanRequestHeaders(req.rawHeaders, inv);
  if (!inv.requestId) inv.requestId = generateRequestId();
  inv.route = resolveRoute(inv.controlPath, req.method, url);
  if (runtime.draining) res.shouldKeepAlive = false;
  if (options.markers) writeMarker(MARKER_KINDS[inv.route]!, 'Start', inv.requestId);
  else inv.ended = true;

  const refusal = expect === EXPECT_OTHER ? createExpectationError(req.headers.expect, inv.context.secrets) : checkRequest(inv, url);
  if (refusal) {
    refuseRequest(inv, refusal, expectContinue);
    return;
  }
  if (expectContinue) res.writeContinue();
  if (inv.contentLength > 0 || (inv.chunked && inv.contentLength === -1)) {
    (req as FcRequest)[kInvocation] = inv;
    inv.watched = true;
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
        finishInvocation(inv, sendPayload, 200, EMPTY_PAYLOAD);
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

const EMPTY_EVENT = Buffer.alloc(0);

/**
 * The first rule a request breaks, if any: an HTTP/1.1 request without Host (RFC 9112 §3.2 says
 * 400), then the limits: path, headers, a declared body size.
 */
function checkRequest(inv: Invocation, url: string): GatewayError | undefined {
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
function refuseRequest(inv: Invocation, error: GatewayError, expectContinue: boolean): void {
  log(inv, 'warn', `Request refused: ${error.message}`);
  inv.settled = true;
  // A stalled body is not drained: the client is not sending it.
  const close = error.code === 'FC_BODY_TIMEOUT' ? CLOSE_AFTER_ANSWER : expectContinue ? HALF_CLOSE_AND_DRAIN : DRAIN_THEN_CLOSE;
  finishInvocation(inv, sendRefusal, error, close);
}

/** Sends FC's 400 with `connection: close`, then drains the rest of the body as `close` says. */
function sendRefusal(res: ServerResponse, error: GatewayError, close: RefusalClose): void {
  sendGatewayError(res, error, true);
  if (close !== CLOSE_AFTER_ANSWER) drainRequest(res.req, res, close === HALF_CLOSE_AND_DRAIN);
}

function respondMissingHandler(inv: Invocation): void {
  const name = inv.route === ROUTE_INVOKE ? 'invoke' : inv.route === ROUTE_INITIALIZE ? 'initialize' : 'http or fetch';
  const what = inv.route === ROUTE_INVOKE ? 'an event invocation' : inv.route === ROUTE_INITIALIZE ? 'an initialize call' : 'an HTTP request';
  const error = new FunctionError('HandlerNotFound', `No "${name}" handler was given for ${what} (${inv.req.method} ${inv.req.url})`);
  failInvocation(inv, error, 404);
}

function onEventBody(inv: Invocation, error: Error | null, body: Buffer): void {
  if (error === null) {
    void runEvent(inv, body);
  } else if (error instanceof GatewayError) {
    refuseRequest(inv, error, false);
  } else {
    // The client went away mid-body: nobody to answer.
    inv.settled = true;
    endInvocation(inv);
  }
}

/**
 * Whether the Initializer still has to succeed before the handler runs. Checked before awaiting
 * {@link ensureInitialized}, so a warm request calls its handler in the same turn, with no
 * promise or microtask in between.
 */
function needsInitializer(inv: Invocation): boolean {
  const { gate } = inv.runtime;
  return gate !== undefined && !gate.payload;
}

/** Makes sure the Initializer has succeeded; on failure answers the request and returns false. */
async function ensureInitialized(inv: Invocation): Promise<boolean> {
  try {
    await runInitializer(inv);
    return true;
  } catch (error) {
    failInvocation(inv, error, inv.route === ROUTE_HTTP ? 500 : 404);
    return false;
  }
}

/** Runs the Initializer through its gate, inside the context storage when `asyncContext` is on. */
function runInitializer(inv: Invocation): Promise<Payload> {
  const { storage, gate } = inv.runtime;
  return storage ? storage.run(inv.context, runGate, gate!, inv.context) : gate!.run(inv.context);
}

function runGate(gate: NonNullable<Runtime['gate']>, context: Context): Promise<Payload> {
  return gate.run(context);
}

/**
 * Calls a handler with its arguments, inside the context storage when `asyncContext` is on.
 * `AsyncLocalStorage.run(store, fn, ...args)` takes the arguments, so no closure is made.
 */
function callHandler<A extends unknown[]>(inv: Invocation, handler: (...args: A) => unknown, ...args: A): unknown {
  const { storage } = inv.runtime;
  return storage ? storage.run(inv.context, handler, ...args) : handler(...args);
}

async function runEvent(inv: Invocation, event: Buffer): Promise<void> {
  if (needsInitializer(inv) && !(await ensureInitialized(inv))) return;
  armTimeout(inv);
  let payload: Payload;
  try {
    payload = serializeResult(await callHandler(inv, inv.runtime.handlers.invoke!, event, inv.context));
  } catch (error) {
    failInvocation(inv, error, 404);
    return;
  }
  respond(inv, payload);
}

async function runInitialize(inv: Invocation): Promise<void> {
  armTimeout(inv);
  let payload: Payload;
  try {
    payload = await runInitializer(inv);
  } catch (error) {
    failInvocation(inv, error, 404);
    return;
  }
  respond(inv, payload);
}

async function runHook(inv: Invocation, hook: (context: Context) => unknown): Promise<void> {
  armTimeout(inv);
  try {
    await callHandler(inv, hook, inv.context);
  } catch (error) {
    failInvocation(inv, error, 404);
    return;
  }
  respond(inv, EMPTY_PAYLOAD);
}

function respond(inv: Invocation, payload: Payload): void {
  if (inv.settled) return;
  inv.settled = true;
  finishInvocation(inv, sendPayload, 200, payload);
}

/**
 * Starts the function timer when FC sent a timeout (`x-fc-function-timeout`, or
 * `x-fc-initialization-timeout` for the Initializer), counted from the request's arrival as FC
 * counts it. The handler cannot be stopped, but its caller gets an error at the deadline and the
 * server goes on; `context.signal` tells the handler to stop.
 */
function armTimeout(inv: Invocation): void {
  const seconds = inv.timeoutSeconds;
  if (seconds === 0 || inv.settled) return;
  inv.timer = setTimeout(onFunctionTimeout, Math.max(0, inv.startedAt + seconds * 1000 - Date.now()), inv);
  inv.res.once('close', clearInvocationTimer);
  (inv.res as FcResponse)[kInvocation] = inv;
}

function clearInvocationTimer(this: FcResponse): void {
  clearTimeout(this[kInvocation]?.timer);
}

function onFunctionTimeout(inv: Invocation): void {
  if (inv.settled) return;
  const error = new FunctionError('FunctionTimeout', `Function timed out after ${inv.timeoutSeconds} seconds`);
  // The answer is chosen first, so whatever the handler does when told to stop is a late call.
  failInvocation(inv, error, inv.route === ROUTE_HTTP ? 504 : 404);
  // The handler cannot be stopped, but it can be told to stop.
  inv.contextIfCreated?.[kAbort](new DOMException(error.message, 'TimeoutError'));
}

/**
 * Reports a failed function. Event functions and hooks answer FC's runtime error shape with the
 * stack; an HTTP client gets `{"errorMessage","errorType"}` only (the stack goes to the log) with
 * `x-fc-status: 404` so FC counts the failure. Once headers went out, the connection is closed so
 * the client sees a broken response, not a truncated one that looks whole. Secrets are scrubbed
 * from all of it.
 */
function failInvocation(inv: Invocation, error: unknown, status: number): void {
  if (inv.settled) {
    log(inv, 'error', 'Error after the response was sent:', error);
    return;
  }
  inv.settled = true;
  const { res } = inv;
  detachHandler(inv);
  if (res.headersSent || res.writableEnded) {
    log(inv, 'error', error);
    endInvocation(inv);
    if (!res.writableEnded) nodeDestroy.call(res);
    return;
  }
  if (error instanceof GatewayError) {
    // The request itself was at fault (an adapter could not represent it): FC's gateway shape.
    log(inv, 'warn', `Request refused: ${error.message}`);
    finishInvocation(inv, sendFreshGatewayError, redactGatewayError(error, inv.context.secrets), undefined);
    return;
  }
  log(inv, 'error', error);
  const body = describeError(error, inv.route !== ROUTE_HTTP);
  const secrets = inv.context.secrets;
  body.errorMessage = redact(body.errorMessage, secrets);
  body.errorType = redact(body.errorType, secrets);
  if (body.stackTrace) body.stackTrace = body.stackTrace.map((frame) => redact(frame, secrets));
  finishInvocation(inv, sendFreshFunctionError, status, body);
}

/** Sends FC's gateway error on a response a handler may have half prepared. */
const sendFreshGatewayError = asRuntime((res: ServerResponse, error: GatewayError): void => {
  clearResponseHeaders(res);
  sendGatewayError(res, error);
});

/** Sends a function error on a response a handler may have half prepared. */
const sendFreshFunctionError = asRuntime((res: ServerResponse, status: number, body: FunctionErrorBody): void => {
  clearResponseHeaders(res);
  sendFunctionError(res, status, body);
});

/**
 * The runtime answers an HTTP function's request itself: from now on the handler's calls on its
 * response are ignored (late-writes.ts), logged once. A no-op for other routes, whose handlers
 * never see the response.
 */
function detachHandler(inv: Invocation): void {
  if (inv.res.end === endWithMarker) ignoreLateCalls(inv.res, reportLateCall);
}

function reportLateCall(res: ServerResponse): void {
  const inv = (res as FcResponse)[kInvocation]!;
  log(inv, 'warn', 'The function wrote to its response after the runtime had answered the request: ignored');
}

/**
 * Queues the End marker once (markers may be off). Called when a request is over for FC's log:
 * right before its response's final write, or when its client went away.
 */
function endInvocation(inv: Invocation): void {
  clearTimeout(inv.timer);
  if (inv.watched) {
    inv.watched = false;
    inv.runtime.bodyWatch.unwatch(inv.req);
  }
  // Shutting down: this response closes its connection, so the drain is not held up by keep-alive.
  if (inv.runtime.draining && !inv.res.headersSent) inv.res.shouldKeepAlive = false;
  if (inv.ended) return;
  inv.ended = true;
  writeMarker(MARKER_KINDS[inv.route]!, 'End', inv.requestId);
}

/** Ends the invocation and sends its response's final write once the End marker is written. */
function finishInvocation<A, B>(inv: Invocation, sender: Sender<A, B>, a: A, b: B): void {
  endInvocation(inv);
  sendAfterMarkers(sender, inv.res, a, b);
}

/** Prints a runtime log line in FC's format with the request id, secrets scrubbed. */
function log(inv: Invocation, level: LogLevel, ...args: unknown[]): void {
  if (!inv.runtime.shouldLog(level)) return;
  const text = args.map((arg) => (typeof arg === 'string' ? arg : getUtil().inspect(arg, { depth: 4 }))).join(' ');
  writeOut(redact(formatLogLine(level, inv.requestId, [text]), inv.context.secrets));
}

// ---------------------------------------------------------------------------------------------
// HTTP functions (Node style). Fetch handlers come through the same path, adapted in fetch.ts.

async function runHttp(inv: Invocation, handler: HttpHandler): Promise<void> {
  const { req, res, runtime } = inv;
  const { options } = runtime;
  (req as FcRequest)[kInvocation] = inv;
  (res as FcResponse)[kInvocation] = inv;
  if (inv.hasHiddenHeaders) hideRequestHeaders(req);
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

/**
 * `res.writeHead` of an HTTP function, also reached through `_implicitHeader()` when the handler
 * only calls `write`/`end`. Gathers the headers, strips those FC forbids (warning once per name),
 * and swaps in FC's 502 when what is left is over the response-header limit.
 */
function writeHeadChecked(
  this: FcResponse,
  statusCode: number,
  reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
  headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
): ServerResponse {
  const inv = this[kInvocation]!;
  if (this.headersSent) return nodeWriteHead.call(this, statusCode, reason, headers);
  if (typeof reason !== 'string') {
    headers = reason;
    reason = undefined;
  }
  let bytes: number;
  if (headers !== undefined && headers !== null && !Array.isArray(headers) && holdsNoHeaders(this)) {
    // The usual writeHead(status, { ... }) with nothing set before: Node writes from the object,
    // and, as on a plain Node server, getHeader() does not see those headers afterwards.
    headers = filterHeaderObject(headers as OutgoingHttpHeaders, inv, warnStripped);
    bytes = countHeaderBytes(headers as OutgoingHttpHeaders);
  } else {
    if (headers) applyWriteHeadHeaders(this, headers as OutgoingHttpHeaders);
    headers = undefined;
    const measured = getMeasuredLength(this);
    bytes = stripResponseHeaders(this, inv, warnStripped);
    restoreMeasuredLength(this, measured);
  }
  if (inv.runtime.draining) this.shouldKeepAlive = false;
  const limit = inv.runtime.options.limits.responseHeaders;
  if (bytes <= limit) return reason === undefined ? nodeWriteHead.call(this, statusCode, headers) : nodeWriteHead.call(this, statusCode, reason, headers);

  const error = createResponseHeadersError(bytes, limit);
  log(inv, 'error', `Response replaced: ${error.message}`);
  clearResponseHeaders(this);
  const body = JSON.stringify(error);
  nodeWriteHead.call(this, error.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-fc-status': FC_STATUS_FAILED,
  });
  // Node quirk: writeHead often runs inside end(chunk) via _implicitHeader(), and end() writes
  // that chunk next. Write our body now, then mark the response bodiless: write_() checks
  // `_hasBody` after _implicitHeader() and drops the handler's bytes (lib/_http_outgoing.js).
  nodeWrite.call(this, body);
  this._hasBody = false;
  return this;
}

/**
 * `res.end` of an HTTP function: queues the End marker and makes the real `end` wait for it (in
 * this same turn; see output.ts). Returns the response, as `end` does. What Node's `end` would
 * throw to its caller (a bad chunk, encoding or status code) is thrown here, in the handler's
 * turn, so the handler (or its framework's error handling) sees it as on a plain Node server.
 */
function endWithMarker(this: FcResponse): ServerResponse {
  const inv = this[kInvocation]!;
  // eslint-disable-next-line prefer-rest-params -- the same arguments end() will get
  checkEndArguments(this, arguments);
  inv.settled = true;
  // eslint-disable-next-line prefer-rest-params -- forward end()'s overloads untouched
  finishInvocation(inv, endNow, arguments, undefined);
  return this;
}

function endNow(res: ServerResponse, args: IArguments): void {
  frameByLength(res, args);
  ServerResponse.prototype.end.apply(res, args as unknown as Parameters<ServerResponse['end']>);
}

function onHttpResponseClose(this: FcResponse): void {
  endInvocation(this[kInvocation]!);
}

/** An `'error'` on `req` or `res` before the handler responded is the function's failure. */
function onHttpStreamError(this: FcRequest | FcResponse, error: Error): void {
  const inv = this[kInvocation]!;
  if (error instanceof GatewayError) return; // answered when the limit was passed or the body stalled
  if (inv.req.socket?.destroyed) {
    inv.settled = true;
    endInvocation(inv);
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
  inv.settled = true;
  detachHandler(inv);
  finishInvocation(inv, sendHttpRefusal, error, undefined);
  return true;
}

/** Sends FC's 400 on an HTTP function's response and keeps the connection for the drain (body.ts). */
const sendHttpRefusal = asRuntime((res: ServerResponse, error: GatewayError): void => {
  clearResponseHeaders(res);
  sendGatewayError(res, error, true);
  holdConnectionOpen(res);
});

/** Warns once per process for each response header name the runtime strips. */
function warnStripped(inv: Invocation, name: string): void {
  const { warnedHeaders } = inv.runtime;
  if (warnedHeaders.has(name)) return;
  warnedHeaders.add(name);
  log(inv, 'warn', `Response header "${name}" is set by the platform, not the function: removed (warned once per name)`);
}

/**
 * A client stopped sending its body for `bodyTimeoutMs` (body-timeout.ts). Answers 408 with
 * `connection: close` if nothing was sent yet, else closes the connection; an HTTP function
 * waiting on the body gets the error on `req`.
 */
export function onBodyStall(req: IncomingMessage): void {
  const inv = (req as FcRequest)[kInvocation]!;
  const error = new GatewayError('FC_BODY_TIMEOUT',
    `Request body stalled: no bytes for ${inv.runtime.options.bodyTimeoutMs} ms`);
  if (inv.route === ROUTE_INVOKE && inv.runtime.handlers.invoke) {
    // readBody is waiting: it reports the error to onEventBody, which answers.
    abortBody(req, error);
    return;
  }
  if (!inv.settled && !inv.res.headersSent) {
    log(inv, 'warn', `Request refused: ${error.message}`);
    inv.settled = true;
    detachHandler(inv);
    finishInvocation(inv, sendStallRefusal, error, undefined);
    // The handler hears of the stall once the 408 is out: destroying the request in its error
    // handling destroys the socket, which would lose an answer still held behind the markers.
    whenWritten(inv.res, emitRequestError, req, error);
    return;
  }
  endInvocation(inv);
  req.socket.destroy();
  process.nextTick(emitRequestError, req, error);
}

const sendStallRefusal = asRuntime((res: ServerResponse, error: GatewayError): void => {
  clearResponseHeaders(res);
  sendGatewayError(res, error, true);
});

function emitRequestError(req: IncomingMessage, error: Error): void {
  req.emit('error', error);
}
