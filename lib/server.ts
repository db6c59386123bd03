/**
 * Builds the FC-safe `node:http` server and listens on FC's port.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERRORS, GatewayError, type GatewayErrorCode } from './errors.js';
import { validateHandlers, type Handlers } from './handlers.js';
import { getMaxHeaderSize } from './limits.js';
import { getRequestListener, handleRequest, onBodyStall } from './listener.js';
import { installConsoleFormat } from './console.js';
import { writeOut } from './output.js';
import { resolveOptions, type Options } from './options.js';
import { Runtime } from './runtime.js';
import { installSignalHandlers } from './shutdown.js';

const kRuntime = Symbol.for('fc-container.runtime');

/** How long a socket that sent a malformed request may keep sending before it is closed. */
const CLIENT_ERROR_LINGER_MS = 1000;

/** The runtime behind a server made by {@link createServer}; undefined for any other server. */
export function getRuntime(server: Server): Runtime | undefined {
  return (server as Server & { [kRuntime]?: Runtime })[kRuntime];
}

/**
 * Creates the HTTP server FC expects inside a custom container, not listening yet.
 *
 * The server is FC-safe as returned: keep-alive connections are never dropped for idleness (FC
 * holds them across invocations; Node's default 5 s `keepAliveTimeout` would cut them), no
 * server timeout cuts a long invocation or a slow upload (Node's `requestTimeout`, 300 s by
 * default, runs until the whole body has arrived), and a client that never finishes its headers
 * is cut off after `headersTimeoutMs`. Throws a `TypeError` for a handler that is not a function
 * or a bad option.
 */
export function createServer(handlers: Handlers = {}, options: Options = {}): Server {
  validateHandlers(handlers);
  const resolved = resolveOptions(options);
  const runtime = new Runtime(handlers, resolved, handlers.http, onBodyStall);
  if (resolved.formatConsole) installConsoleFormat();
  if (handlers.fetch) {
    // The Fetch adapter (and Node's Request/Response, costly on first use) loads only here.
    runtime.httpHandler = createLazyFetchHandler(runtime, handlers.fetch);
  }
  const headersTimeout = resolved.headersTimeoutMs;
  const server = createHttpServer({
    maxHeaderSize: getMaxHeaderSize(resolved.limits),
    requestTimeout: 0,
    headersTimeout,
    keepAliveTimeout: 0,
    // How often Node checks headersTimeout; its default (30 s) would let a stalled client linger
    // up to twice the timeout.
    connectionsCheckingInterval: headersTimeout > 0 ? Math.min(1000, Math.max(50, headersTimeout / 4)) : 30_000,
    noDelay: true,
  }, getRequestListener(runtime));
  server.keepAliveTimeout = 0;
  server.timeout = 0;
  server.on('checkContinue', (req, res) => handleRequest(runtime, req, res, true));
  server.on('clientError', onClientError);
  (server as Server & { [kRuntime]?: Runtime })[kRuntime] = runtime;
  return server;
}

function createLazyFetchHandler(runtime: Runtime, fetchHandler: NonNullable<Handlers['fetch']>): NonNullable<Runtime['httpHandler']> {
  const loading = import('./fetch.js').then((module) => {
    const adapted = module.createFetchListener(fetchHandler, runtime);
    runtime.httpHandler = adapted;
    return adapted;
  });
  return (req, res, context) => loading.then((adapted) => adapted(req, res, context));
}

/**
 * Creates the server and listens: port from `options.port`, `FC_CUSTOM_LISTEN_PORT`,
 * `FC_SERVER_PORT`, else 9000, on `0.0.0.0`. Installs SIGTERM/SIGINT handling (drain, `preStop`,
 * exit) unless `handleSignals: false`. Resolves to the listening server; rejects if the port is
 * taken.
 */
export async function serve(handlers: Handlers = {}, options: Options = {}): Promise<Server> {
  const server = createServer(handlers, options);
  const runtime = getRuntime(server)!;
  const { port, host } = runtime.options;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  if (runtime.options.handleSignals) installSignalHandlers(server, runtime);
  if (runtime.logThreshold !== 'silent') {
    const address = server.address();
    const shown = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
    writeOut(`fc-container listening on ${shown}\n`);
  }
  return server;
}

/**
 * Answers what Node's parser rejects (a header block past `maxHeaderSize`, malformed syntax, a
 * headers timeout) with FC's JSON error instead of Node's bare 400/431 or a reset, then lets the
 * client read it: the socket is ended, and what the client still sends is read and dropped for a
 * moment before the socket is destroyed (closing with unread data would send RST).
 */
function onClientError(error: Error & { code?: string }, socket: Duplex): void {
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const [code, message] = describeClientError(error);
  const gatewayError = new GatewayError(code, message);
  const body = JSON.stringify(gatewayError);
  const status = ERRORS[code].status;
  socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n`
    + 'content-type: application/json\r\n'
    + `content-length: ${Buffer.byteLength(body)}\r\n`
    + 'connection: close\r\n\r\n' + body);
  socket.on('data', discard);
  socket.resume();
  setTimeout(destroySocket, CLIENT_ERROR_LINGER_MS, socket).unref();
}

function describeClientError(error: Error & { code?: string }): [GatewayErrorCode, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['FC_REQUEST_HEADERS_TOO_LARGE', 'Request line and headers exceed the size the server parses'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['FC_HEADERS_TIMEOUT', 'Request headers were not received in time'];
    default:
      return ['FC_BAD_REQUEST', `Malformed HTTP request (${error.code ?? error.message})`];
  }
}

function discard(): void {}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
