/**
 * The Fetch-style HTTP function adapter: a Node request becomes a `Request`, the handler's
 * `Response` streams back. Loaded only when a `fetch` handler is given.
 *
 * The runtime's listener has already hidden the request headers FC never forwards, stripped the
 * base path from `req.url`, guarded a chunked body against the limit, and installed its
 * `writeHead`/`end` overrides (forbidden response headers, the response-header limit, the End
 * marker); it also answers a throw or rejection of the returned promise. This module only
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
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../runtime/context.js';
import type { FetchHandler, HttpHandler } from '../runtime/handlers.js';
import { RequestBody } from './body.js';

/**
 * What the adapter takes from the runtime. Injected, never imported: dist/fetch.js is its own
 * bundle, and an import of a runtime or rules module would give it a copy of that module (a
 * second `GatewayError` class the runtime would not recognise).
 */
export interface FetchShared {
  /** FC's 400 for a request no `Request` can represent (the runtime's `GatewayError`). */
  badRequest(message: string): Error;
  /** Hop-by-hop header names (RFC 9110 §7.6.1), lower case: they never cross the adapter. */
  hopByHopHeaders: ReadonlySet<string>;
}

/** Set by {@link createFetchListener}; the same values for every runtime of the process. */
let shared: FetchShared;

/**
 * Bytes of response body chunks that are gathered into one `end()` (with a `content-length`)
 * while they keep arriving within the same event-loop turn. A single chunk of any size is sent
 * this way; past this many bytes over several chunks, the body is streamed.
 */
const COALESCE_BYTES = 64 * 1024;

/** The request body stream reads nothing until the handler asks: a body it ignores is never pulled. */
const NO_READ_AHEAD: QueuingStrategy<Uint8Array> = { highWaterMark: 0 };

/** Hosts the fast path takes as they are: names, IPv4, IPv6 in brackets, an optional port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Characters that would move the host's end (and so change the path an app routes on). */
const HOST_BREAKERS = /[/?#@\\\s]/;
const ABSOLUTE_TARGET = /^https?:\/\//i;
const HTTPS_FIRST = /^\s*https\s*(?:,|$)/i;

const kExchange = Symbol('fc-container.fetch.exchange');
const kController = Symbol('fc-container.fetch.controller');
const kInnerSignal = Symbol('fc-container.fetch.innerSignal');

type ExchangeResponse = ServerResponse & { [kExchange]?: Exchange };

// Two shortcuts into Node's own fetch classes (undici), each found by probing once when this
// module loads and skipped, for the plain public API, when the probe finds nothing:
//
// - the slot where a Request keeps its signal. Handing undici a signal to follow
//   (`init.signal`) costs it a WeakRef, a FinalizationRegistry entry and a listener per request,
//   and an AbortSignal alone costs microseconds in Node 20; so the slot is an accessor on
//   {@link FetchRequest}'s prototype that answers with this request's own controller's signal,
//   created by Node only when read. `request.signal`, `request.clone()`, `new Request(request)`
//   and `fetch(request)` all read the slot, so a proxied request is aborted with the client.
// - the state where a Response keeps the string or bytes it was built from (`new Response(text)`,
//   `Response.json()`, Hono's `c.json()`/`c.text()`): sent in one `end()`, without reading the
//   body through a stream reader.

/** The own symbol-keyed property of `object` whose value passes `test`. */
function findSymbol(object: object, test: (value: unknown) => boolean): symbol | undefined {
  for (const key of Object.getOwnPropertySymbols(object)) {
    if (test((object as Record<symbol, unknown>)[key])) return key;
  }
  return undefined;
}

const probeRequest = new Request('http://localhost/');
const kRequestSignal = findSymbol(probeRequest, (value) => value === probeRequest.signal);

interface BodyState { body?: { source?: unknown; stream?: unknown } | null }
const PROBE_TEXT = 'fc-container';
const probeResponse = new Response(PROBE_TEXT);
const kResponseState = findSymbol(probeResponse, (value) => {
  const body = (value as BodyState | null)?.body;
  return body?.source === PROBE_TEXT && body.stream === probeResponse.body;
});

/**
 * The Request handed to the handler: Node's own `Request` (the class is named so), whose signal
 * slot reads its {@link Exchange}'s controller. Used only when the slot was found.
 */
const FetchRequest = class Request extends globalThis.Request {
  // Declared only: a field definition would run after super() and cost two defines per request.
  declare [kController]: AbortController;
  declare [kInnerSignal]: AbortSignal | undefined;

  constructor(url: string, init: RequestInit, controller: AbortController) {
    super(url, init);
    this[kController] = controller;
  }

  /** A clone shares the signal: undici's clone follows only a signal given as `init.signal`. */
  override clone(): globalThis.Request {
    const copy = super.clone();
    (copy as unknown as Record<symbol, AbortSignal>)[kRequestSignal!] = this[kController].signal;
    return copy;
  }
};
if (kRequestSignal !== undefined) {
  Object.defineProperty(FetchRequest.prototype, kRequestSignal, {
    configurable: true,
    get(this: InstanceType<typeof FetchRequest>): AbortSignal {
      // Read during construction (before the controller is set) only if undici starts doing so.
      return this[kController]?.signal ?? this[kInnerSignal];
    },
    set(this: InstanceType<typeof FetchRequest>, signal: AbortSignal) {
      // The constructor stores a signal of its own there; ours is answered instead.
      this[kInnerSignal] = signal;
    },
  });
}

/**
 * Adapts a Fetch handler (`(request, context) => Response`, such as a Hono app's `app.fetch`) to
 * the runtime's Node-style HTTP handler.
 */
export function createFetchListener(handler: FetchHandler, runtimeShared: FetchShared): HttpHandler {
  shared = runtimeShared;
  return function fetchListener(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
    return handleFetch(handler, req, res, context);
  };
}

/** The state of one request/response pair on the response side. */
class Exchange {
  readonly res: ServerResponse;
  readonly controller = new AbortController();
  /** The request body's source, when the request has a body. */
  body: RequestBody | undefined = undefined;
  /** The reader of the handler's response body, once reading has begun. */
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined = undefined;
  /** Fires at the next event-loop turn to flush the headers of a body that is not complete yet. */
  immediate: NodeJS.Immediate | undefined = undefined;
  /** Headers have been written: chunks go straight to the socket. */
  streaming = false;
  /** The runtime answered instead (response headers over the limit): the body is dropped. */
  replaced = false;
  /** The response closed (finished, or the connection went away). */
  closed = false;
  listensForDrain = false;
  /** Resolves the pending wait for `'drain'`. */
  drained: (() => void) | undefined = undefined;
  /** A failure while flushing from the event loop, rethrown by the body loop. */
  failure: unknown = undefined;
  /** Body chunks gathered before the headers are written. */
  pending: Uint8Array[] | undefined = undefined;
  pendingBytes = 0;

  constructor(res: ServerResponse) {
    this.res = res;
  }
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

// ---------------------------------------------------------------------------------------------
// Request

/**
 * Builds the `Request`: the absolute URL (`https` when `x-forwarded-proto` says so, the host from
 * the Host header, else `localhost`), the method, every header as received but the hop-by-hop
 * ones and `Expect` (repeated ones kept; several `Cookie` lines joined with `; ` as a cookie list
 * must be), and a streamed body for a
 * method that may carry one when the request declares one. Throws a `TypeError` for a request
 * that cannot be one.
 */
function createRequest(req: IncomingMessage, exchange: Exchange): Request {
  const raw = req.rawHeaders;
  const headers: [string, string][] = [];
  let host = '';
  let https = false;
  let hasBody = false;
  let cookie = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // Compare names only where the length matches: most headers cost one switch.
    switch (name.length) {
      case 4:
        if (host === '' && name.toLowerCase() === 'host') host = value;
        break;
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'cookie') {
          if (cookie !== -1) {
            headers[cookie]![1] += '; ' + value;
            continue;
          }
          cookie = headers.length;
        } else if (lower === 'expect') {
          continue; // met by the runtime (its 100 Continue); Node's fetch() refuses a Request with it
        }
        break;
      }
      case 7: // upgrade, trailer
      case 16: // proxy-connection
        if (shared.hopByHopHeaders.has(name.toLowerCase())) continue;
        break;
      case 14:
        if (value !== '0' && name.toLowerCase() === 'content-length') hasBody = true;
        break;
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') {
          hasBody = true;
          continue; // hop-by-hop: the Request's body is a stream, framed by whoever sends it on
        }
        if (lower === 'x-forwarded-proto') https = HTTPS_FIRST.test(value);
        break;
      }
    }
    headers.push([name, value]);
  }

  const target = req.url ?? '/';
  let url: string;
  if (target.charCodeAt(0) === 0x2f /* / */) {
    url = (https ? 'https://' : 'http://') + checkHost(host) + target;
  } else if (ABSOLUTE_TARGET.test(target)) {
    url = target; // absolute-form: the target names the host (RFC 9112 §3.2.2)
  } else {
    throw new TypeError(`Request target "${target}" is not a path`);
  }

  const method = req.method ?? 'GET';
  let init: RequestInit & { duplex?: 'half' };
  if (!hasBody || method === 'GET' || method === 'HEAD') {
    init = { method, headers };
  } else {
    const source = new RequestBody(req);
    exchange.body = source;
    init = { method, headers, body: new ReadableStream<Uint8Array>(source, NO_READ_AHEAD), duplex: 'half' };
  }
  if (kRequestSignal !== undefined) return new FetchRequest(url, init, exchange.controller);
  init.signal = exchange.controller.signal;
  return new Request(url, init);
}

function checkHost(host: string): string {
  if (host === '') return 'localhost';
  if (PLAIN_HOST.test(host) || !HOST_BREAKERS.test(host)) return host;
  throw new TypeError(`Invalid Host header "${host}"`);
}

/** Throws FC's 400 for a request no `Request` can represent. */
function refuseRequest(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  throw shared.badRequest(`Malformed HTTP request (${message})`);
}

// ---------------------------------------------------------------------------------------------
// Response

/** A Response from another implementation (the `undici` package, a polyfill): same shape. */
function isResponseLike(value: unknown): value is Response {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { status?: unknown; headers?: { get?: unknown; [Symbol.iterator]?: unknown } | null };
  return typeof candidate.status === 'number'
    && typeof candidate.headers?.get === 'function'
    && typeof candidate.headers[Symbol.iterator] === 'function'
    && 'body' in candidate;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `an object (${name})` : 'an object';
  }
  return `a ${typeof value}`;
}

async function sendResponse(exchange: Exchange, response: Response, head: boolean): Promise<void> {
  const { res } = exchange;
  const body = response.body;
  if (res.headersSent || res.destroyed) {
    // The runtime answered already (a timeout, a body over the limit) or the client is gone.
    if (body !== null) body.cancel().catch(ignore);
    return;
  }
  const status = response.status;
  if (status === 0) throw new TypeError('The fetch handler returned a network error (Response.error())');
  res.statusCode = status;
  const statusText = response.statusText;
  if (statusText) res.statusMessage = statusText;
  copyHeaders(res, response.headers);
  if (body === null || head) {
    if (body !== null) body.cancel().catch(ignore);
    res.end();
    return;
  }
  const known = kResponseState === undefined ? undefined : knownBody(response, body);
  if (known !== undefined) {
    res.end(known);
    return;
  }
  await sendBody(exchange, body);
}

/**
 * The string or bytes a Node Response was built from, while its body stream is untouched (not
 * read, not locked): the body, known without reading it.
 */
function knownBody(response: Response, stream: ReadableStream<Uint8Array>): string | Uint8Array | undefined {
  if (!(response instanceof Response) || stream.locked) return undefined;
  const body = (response as unknown as Record<symbol, BodyState | undefined>)[kResponseState!]?.body;
  if (!body || body.stream !== stream) return undefined;
  const source = body.source;
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) return undefined;
  return response.bodyUsed ? undefined : source;
}

/**
 * Puts the Response's headers on `res`, where the runtime's `writeHead` override strips what FC
 * forbids and measures the rest. `set-cookie` stays one header per cookie. `content-length` and the
 * hop-by-hop headers (a proxied upstream's `connection`, `keep-alive`, `transfer-encoding`)
 * describe the Fetch body or another connection, not this one: the server frames the body itself
 * (a `content-length` when the whole body is known, else chunked), so they are not copied.
 */
function copyHeaders(res: ServerResponse, headers: Headers): void {
  let cookies = false;
  for (const [name, value] of headers) {
    if (name === 'set-cookie') {
      cookies = true;
      continue;
    }
    if (name === 'content-length' || shared.hopByHopHeaders.has(name)) continue;
    res.setHeader(name, value);
  }
  if (!cookies) return;
  if (typeof headers.getSetCookie === 'function') {
    res.setHeader('set-cookie', headers.getSetCookie());
  } else {
    const values: string[] = [];
    for (const [name, value] of headers) if (name === 'set-cookie') values.push(value);
    res.setHeader('set-cookie', values);
  }
}

/**
 * Writes the body. Chunks arriving within the current event-loop turn are gathered; if the body
 * ends before the turn is over it goes out in one `end()`, framed with a `content-length`.
 * Otherwise the `setImmediate` fires {@link startStreaming}: headers (and what was gathered) go
 * out at once and every later chunk is written as it comes, waiting for `'drain'` when the
 * socket is full. A body that errors rejects: before the headers the runtime answers 500; after,
 * the response is destroyed so the client sees it broken, not complete.
 */
async function sendBody(exchange: Exchange, body: ReadableStream<Uint8Array>): Promise<void> {
  const { res } = exchange;
  const reader = body.getReader();
  exchange.reader = reader;
  exchange.immediate = setImmediate(startStreaming, exchange);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (exchange.failure !== undefined) throw exchange.failure;
      if (done || exchange.closed || exchange.replaced) break;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`A Response body chunk must be a Uint8Array, got ${describeValue(value)}`);
      }
      if (value.byteLength === 0) continue;
      if (exchange.streaming) {
        if (!res.write(value)) await waitForDrain(exchange);
        continue;
      }
      (exchange.pending ??= []).push(value);
      exchange.pendingBytes += value.byteLength;
      if (exchange.pendingBytes > COALESCE_BYTES && exchange.pending.length > 1) {
        // A body that keeps coming without yielding to the event loop: stream it from here.
        startStreaming(exchange);
        if (exchange.failure !== undefined) throw exchange.failure;
        if (res.writableNeedDrain) await waitForDrain(exchange);
      }
    }
  } catch (error) {
    clearImmediate(exchange.immediate);
    reader.cancel(error).catch(ignore);
    // The client left: its leaving cancelled the body (a proxied one errors with the abort), and
    // no response is owed; that is not the function's error.
    if (exchange.closed && !res.writableFinished) return;
    if (res.headersSent && !res.writableEnded) res.destroy();
    throw error;
  }
  clearImmediate(exchange.immediate);
  if (exchange.closed || res.destroyed) return; // the client went away; the runtime saw the close
  if (exchange.streaming) {
    res.end();
    return;
  }
  const { pending } = exchange;
  if (pending === undefined) res.end();
  else res.end(pending.length === 1 ? pending[0] : Buffer.concat(pending, exchange.pendingBytes));
}

/**
 * Writes the headers (through the runtime's override) and what was gathered, and switches the
 * body loop to streaming. Runs from `setImmediate` or from the loop; never throws (a throw in an
 * immediate would end the process): a failure is kept for the loop to rethrow.
 */
function startStreaming(exchange: Exchange): void {
  if (exchange.streaming) return;
  exchange.streaming = true;
  clearImmediate(exchange.immediate);
  const { res } = exchange;
  if (exchange.closed || res.destroyed) return;
  try {
    const status = res.statusCode;
    res.writeHead(status);
    if (res.statusCode !== status) {
      // The runtime swapped in its own answer (headers over the limit) and wrote its body.
      exchange.replaced = true;
      exchange.reader?.cancel().catch(ignore);
      return;
    }
    const { pending } = exchange;
    exchange.pending = undefined;
    exchange.pendingBytes = 0;
    if (pending === undefined) {
      res.flushHeaders();
    } else if (pending.length === 1) {
      res.write(pending[0]);
    } else {
      res.cork();
      for (const chunk of pending) res.write(chunk);
      res.uncork();
    }
  } catch (error) {
    exchange.failure = error;
    exchange.reader?.cancel(error).catch(ignore);
  }
}

function waitForDrain(exchange: Exchange): Promise<void> {
  if (exchange.closed || exchange.res.destroyed) return Promise.resolve();
  if (!exchange.listensForDrain) {
    exchange.listensForDrain = true;
    exchange.res.on('drain', onResponseDrain);
  }
  return new Promise<void>((resolve) => {
    exchange.drained = resolve;
  });
}

function onResponseDrain(this: ExchangeResponse): void {
  const exchange = this[kExchange]!;
  const drained = exchange.drained;
  if (drained === undefined) return;
  exchange.drained = undefined;
  drained();
}

/**
 * The response closed. Before it finished, that means the client went away: abort
 * `request.signal` and cancel the response body. Either way, a request body nobody read to its
 * end is drained, so a keep-alive connection can carry the next request.
 */
function onResponseClose(this: ExchangeResponse): void {
  const exchange = this[kExchange]!;
  if (exchange.closed) return;
  exchange.closed = true;
  clearImmediate(exchange.immediate);
  if (!this.writableFinished) {
    const reason = new DOMException('The client went away', 'AbortError');
    exchange.controller.abort(reason);
    exchange.reader?.cancel(reason).catch(ignore);
    exchange.body?.abort(reason);
  } else {
    exchange.body?.discard();
  }
  const drained = exchange.drained;
  if (drained !== undefined) {
    exchange.drained = undefined;
    drained();
  }
}

function ignore(): void {}
