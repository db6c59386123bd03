/**
 * Builds the FC-safe `node:http` server and listens on FC's port.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerClientError } from './rules/client-error.js';
import { validateHandlers, type Handlers } from './runtime/handlers.js';
import { getMaxHeaderSize } from './rules/limits.js';
import { onBodyStall } from './runtime/body-stall.js';
import { EXPECT_CONTINUE, EXPECT_OTHER, getRequestListener, handleRequest } from './runtime/listener.js';
import { installConsoleFormat } from './runtime/console.js';
import { writeOut } from './runtime/output.js';
import { resolveOptions, type Options } from './runtime/options.js';
import { Runtime } from './runtime/runtime.js';
import { installSignalHandlers } from './runtime/shutdown.js';
import { installUpgrades } from './runtime/upgrade.js';
import { GatewayError } from './rules/errors.js';
import { HOP_BY_HOP_HEADERS } from './rules/headers.js';
import type { FetchShared } from './fetch/adapter.js';
import { countServeCall, withServeDefaults } from './runtime/serve-calls.js';

const kRuntime = Symbol.for('fc-container.runtime');

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
    // The runtime answers a missing Host itself (listener.ts), in FC's JSON shape; Node's own
    // check would send an empty 400 outside it.
    requireHostHeader: false,
    // How often Node checks headersTimeout; its default (30 s) would let a stalled client linger
    // up to twice the timeout.
    connectionsCheckingInterval: headersTimeout > 0 ? Math.min(1000, Math.max(50, headersTimeout / 4)) : 30_000,
    noDelay: true,
  }, getRequestListener(runtime));
  server.keepAliveTimeout = 0;
  server.timeout = 0;
  server.on('checkContinue', (req, res) => handleRequest(runtime, req, res, EXPECT_CONTINUE));
  // Node's own answer to another expectation is a bare 417; this one is FC's JSON, with markers.
  server.on('checkExpectation', (req, res) => handleRequest(runtime, req, res, EXPECT_OTHER));
  // What Node's parser rejects gets FC's JSON error, not Node's bare 400/431 (client-error.ts).
  server.on('clientError', onClientError);
  // FC's rules on upgrades (WebSocket handshakes), and the `upgrade` handler (upgrade.ts).
  installUpgrades(server, runtime, handlers.upgrade);
  (server as Server & { [kRuntime]?: Runtime })[kRuntime] = runtime;
  return server;
}

/** What the Fetch adapter takes from the runtime (lib/fetch/adapter.ts says why it is injected). */
const FETCH_SHARED: FetchShared = {
  badRequest: (message) => new GatewayError('FC_BAD_REQUEST', message),
  hopByHopHeaders: HOP_BY_HOP_HEADERS,
};

/**
 * The Fetch adapter, loaded on first use. The CommonJS build (dist/index.cjs, which `import`
 * reaches too) has a `require` and loads dist/fetch.cjs with it: no ES module loader is started.
 * From source (tsx, ES modules) there is none, and `import()` reads the TypeScript file.
 */
function loadFetchAdapter(): Promise<typeof import('./fetch.js')> {
  return typeof require === 'function' ? Promise.resolve(require('./fetch.js')) : import('./fetch.js');
}

function createLazyFetchHandler(runtime: Runtime, fetchHandler: NonNullable<Handlers['fetch']>): NonNullable<Runtime['httpHandler']> {
  const loading = loadFetchAdapter().then((module) => {
    const adapted = module.createFetchListener(fetchHandler, FETCH_SHARED, { globals: runtime.options.fetchGlobals });
    runtime.httpHandler = adapted;
    return adapted;
  });
  return (req, res, context) => loading.then((adapted) => adapted(req, res, context));
}

/**
 * Creates the server and listens: port from `options.port`, `FC_CUSTOM_LISTEN_PORT`,
 * `FC_SERVER_PORT`, else 9000, on `0.0.0.0`. Installs SIGTERM/SIGINT handling (drain, `preStop`,
 * exit) unless `handleSignals: false`. Resolves to the listening server.
 *
 * A server that cannot listen (the port taken, a port below 1024 without the right) is a
 * container FC will never reach: `serve()` prints one line naming the address and exits the
 * process with code 1, whether or not its promise is awaited — the one-line migration
 * `require('fc-container').serve({ http: app })` awaits nothing. To handle the error yourself,
 * call {@link createServer} and `listen()`.
 */
export async function serve(handlers: Handlers = {}, options: Options = {}): Promise<Server> {
  countServeCall();
  const server = createServer(handlers, withServeDefaults(options));
  const runtime = getRuntime(server)!;
  const { port, host } = runtime.options;
  await new Promise<void>((resolve) => {
    const exit = (error: NodeJS.ErrnoException): void => exitOnListenError(error, host, port);
    server.once('error', exit);
    server.listen(port, host, () => {
      server.removeListener('error', exit);
      resolve();
    });
  });
  if (runtime.options.handleSignals) installSignalHandlers(server, runtime);
  if (runtime.logThreshold !== 'silent') {
    const address = server.address();
    const shown = typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address);
    // The profile named, so a log shows which FC generation's rules the server applied.
    writeOut(`fc-container listening on ${shown} (profile ${runtime.options.profile.name})\n`);
  }
  return server;
}

/** Exit code of a `serve()` that could not listen (the CLI's usage errors are 2). */
const EXIT_CANNOT_LISTEN = 1;

function exitOnListenError(error: NodeJS.ErrnoException, host: string, port: number): never {
  const reason = error.code === 'EADDRINUSE' ? 'the port is taken (EADDRINUSE)'
    : error.code === 'EACCES' ? 'permission denied (EACCES)'
    : error.message;
  // Written synchronously (stderr is a file or a pipe in a container), so exit() loses nothing.
  process.stderr.write(`fc-container: cannot listen on ${host}:${port}: ${reason}\n`);
  process.exit(EXIT_CANNOT_LISTEN);
}

function onClientError(error: Error & { code?: string }, socket: Duplex): void {
  answerClientError(error, socket);
}
