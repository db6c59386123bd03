/**
 * HTTP upgrades (WebSocket handshakes) under FC's rules. FC 3.0's HTTP triggers carry WebSocket:
 * the container answers `101` itself, and the connection lives until the function's timeout.
 *
 * Node 20 quirk the design follows: once `server.listenerCount('upgrade') > 0`, a request with
 * `Upgrade` is handed over as `server.emit('upgrade', req, socket, head)`, with no
 * `ServerResponse`, after Node removed its own socket `'error'` listener. So the runtime wraps the
 * server's `emit` (installed only when a first `'upgrade'` listener is added: a server without
 * one pays nothing) and runs FC's rules before any listener, without adding a listener of its own
 * (`listenerCount` and `removeListener` report what the app did). The `upgrade` handler is the
 * one listener the runtime adds, and only when it is given.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError, GatewayError } from '../rules/errors.js';
import { hasAnyHeader, hideRequestHeaders, scanRequestHeaders } from '../rules/request-headers.js';
import { CLIENT_ERROR_LINGER_MS } from '../rules/client-error.js';
import { checkRequestLimits } from '../rules/limit-checks.js';
import { getContextStorage } from './async-context.js';
import type { Context } from './context.js';
import { stripBasePath } from './control-paths.js';
import { redact } from '../rules/redact.js';
import type { UpgradeHandler } from './handlers.js';
import { queueMarker, writeMarker } from './output.js';
import { createLocalRequestId } from './request-id.js';
import type { Runtime } from './runtime.js';
import { connectionOf, OpenConnection, trackWebSocket } from './websockets.js';
import { setTimeout } from '../rules/timers.js';

/** Installs FC's rules on the server's upgrades, and the `upgrade` handler if given. */
export function installUpgrades(server: Server, runtime: Runtime, handler: UpgradeHandler | undefined): void {
  let wrapped = false;
  const wrap = (event: string | symbol): void => {
    if (event !== 'upgrade' || wrapped) return;
    wrapped = true;
    server.removeListener('newListener', wrap);
    wrapEmit(server, runtime, handler ? 1 : 0);
  };
  server.on('newListener', wrap);
  if (handler) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      return handler(req, socket, head, connectionOf(socket)!.context);
    });
  }
}

function wrapEmit(server: Server, runtime: Runtime, own: number): void {
  const emit = server.emit;
  // Named parameters, not a destructured `arguments` (an iterator per event): every event of the
  // server passes here, and the others go on untouched.
  server.emit = function emitWithRules(this: Server, event: string | symbol, req: unknown, socket: unknown, head: unknown): boolean {
    if (event !== 'upgrade') return Reflect.apply(emit, this, arguments) as boolean;
    onUpgrade(runtime, emit, this, own, req as IncomingMessage, socket as Duplex, head as Buffer);
    return true;
  } as Server['emit'];
}

/** The Upgrade a handshake asks for: only WebSocket is carried (RFC 6455 §4.1). */
function isWebSocket(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.upgrade ?? '').trim().toLowerCase() === 'websocket';
}

/**
 * FC's rules on one handshake, then the listeners. Synchronous unless the Initializer has yet to
 * run: no promise per connection on the common path.
 */
function onUpgrade(runtime: Runtime, emit: Server['emit'], server: Server, own: number, req: IncomingMessage, socket: Duplex, head: Buffer<ArrayBufferLike>): void {
  const connection = new OpenConnection(socket, runtime);
  scanRequestHeaders(req.rawHeaders, connection, runtime.hiddenRequestHeaders, runtime.hiddenNameLengths);
  const requestId = connection.requestId ||= createLocalRequestId();
  const markers = runtime.options.markers;
  if (markers) queueMarker('Invoke', 'Start', requestId);
  const url = req.url ?? '/';
  const refusal = runtime.draining ? new GatewayError('FC_SHUTTING_DOWN', 'The function is shutting down')
    : !isWebSocket(req) ? new GatewayError('FC_BAD_REQUEST', `Malformed HTTP request (Upgrade "${req.headers.upgrade ?? ''}" is not supported; only WebSocket is)`)
    : checkRequestLimits(url, connection.headerBytes, 0, runtime.options.limits);
  if (refusal) {
    guardSocket(socket);
    sendOnSocket(socket, refusal.status, JSON.stringify(refusal), requestId);
    if (markers) writeMarker('Invoke', 'End', requestId);
    return;
  }
  // The handshake's own headers (Connection, Upgrade, Sec-WebSocket-*) reach the app; the rest
  // that FC never forwards do not. The scan flags the handshake's own too, so look again before
  // rebuilding the headers.
  if (connection.hasHiddenHeaders && hasAnyHeader(req.rawHeaders, runtime.hiddenUpgradeHeaders, runtime.hiddenUpgradeNameLengths)) hideRequestHeaders(req, runtime.hiddenUpgradeHeaders);
  if (connection.basePath && runtime.options.stripBasePath) req.url = stripBasePath(url, connection.basePath);
  connection.headers = req.headers;
  trackWebSocket(connection);
  const storage = storageFor(runtime, server, own);
  const { gate } = runtime;
  if (gate !== undefined && !gate.payload) {
    guardSocket(socket);
    void runGateThenEmit(gate, storage, emit, server, req, socket, head, connection.context, requestId);
    return;
  }
  if (storage === undefined) callEmit(emit, server, req, socket, head);
  else storage.run(connection.context, callEmit, emit, server, req, socket, head);
  if (socket.listenerCount('error') === 0) guardSocket(socket);
}

/**
 * Node removed its own `'error'` listener before emitting: without one, a reset would crash the
 * process. Put on in the same turn as the handshake arrived, before anything can emit an error
 * (a socket's errors come from later callbacks): at once where the runtime keeps the socket
 * (a refusal, the Initializer's wait), else after the listeners ran, and only if they left none
 * (`ws` adds its own; a second one would make an array on every socket).
 */
function guardSocket(socket: Duplex): void {
  socket.on('error', destroySocket);
}

/**
 * Where the listeners run. The app's own `'upgrade'` listeners get no context argument, so they
 * run inside the connection's context (an AsyncLocalStorage): `getContext()` works there, with
 * or without `asyncContext`, and in everything they start. The `upgrade` handler alone gets the
 * context as its fourth argument, and `getContext()` in it follows `asyncContext`, as in an HTTP
 * handler: on Node 20 a storage once used puts async hooks on every callback of the process, which
 * cost about 8% of a handshake's CPU (bench: websocket), so the runtime uses one only where
 * nothing else reaches the context. `own` is 1 when the runtime added the handler's listener.
 */
function storageFor(runtime: Runtime, server: Server, own: number): AsyncLocalStorage<Context> | undefined {
  return runtime.storage ?? (server.listenerCount('upgrade') > own ? getContextStorage() : undefined);
}

/** The Initializer first (once per instance), then the listeners; the client may leave meanwhile. */
async function runGateThenEmit(gate: NonNullable<Runtime['gate']>, storage: AsyncLocalStorage<Context> | undefined, emit: Server['emit'], server: Server, req: IncomingMessage, socket: Duplex, head: Buffer<ArrayBufferLike>, context: Context, requestId: string): Promise<void> {
  try {
    await (storage === undefined ? gate.run(context) : storage.run(context, runGate, gate, context));
  } catch (error) {
    if (!socket.destroyed) sendOnSocket(socket, 500, describeFailure(error, context), requestId);
    return;
  }
  // The client left while the Initializer ran: nobody to hand the socket to.
  if (socket.destroyed) return;
  if (storage === undefined) callEmit(emit, server, req, socket, head);
  else storage.run(context, callEmit, emit, server, req, socket, head);
}

function runGate(gate: NonNullable<Runtime['gate']>, context: Context): Promise<unknown> {
  return gate.run(context);
}

function callEmit(emit: Server['emit'], server: Server, req: IncomingMessage, socket: Duplex, head: Buffer<ArrayBufferLike>): void {
  try {
    (emit as (this: Server, ...args: unknown[]) => boolean).call(server, 'upgrade', req, socket, head);
  } catch (error) {
    // A listener that throws: the connection is the function's failure (as an HTTP function's 500).
    const connection = connectionOf(socket)!;
    if (!socket.destroyed) sendOnSocket(socket, 500, describeFailure(error, connection.context), connection.requestId);
  }
}

/** A failure's JSON as an HTTP function's (no stack to the client; it goes to the log), scrubbed of the request's secrets. */
function describeFailure(error: unknown, context: Context): string {
  context.logger.error(error);
  const body = describeError(error, false);
  return JSON.stringify({ errorMessage: redact(body.errorMessage, context.secrets), errorType: redact(body.errorType, context.secrets) });
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/**
 * Answers on the raw socket (there is no `ServerResponse` after an upgrade) and closes it: FC's
 * JSON error, with the request id. Node hands the socket over paused, so it is read (and what
 * arrives dropped) to see the client's end; a client that never closes is cut off after the
 * linger, as a parser error's answer is (rules/client-error.ts).
 */
function sendOnSocket(socket: Duplex, status: number, body: string, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`
    + 'content-type: application/json\r\n'
    + `content-length: ${Buffer.byteLength(body)}\r\n`
    + `x-fc-request-id: ${requestId}\r\n`
    + 'connection: close\r\n\r\n'
    + body);
  socket.on('end', destroySocket);
  socket.resume();
  setTimeout(destroy, CLIENT_ERROR_LINGER_MS, socket).unref();
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

function destroy(socket: Duplex): void {
  socket.destroy();
}
