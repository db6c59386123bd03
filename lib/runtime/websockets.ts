/**
 * The runtime's open WebSocket connections: each is one invocation, from its handshake's Start
 * marker to the End marker when its socket closes; at the function timeout its context's signal
 * aborts and the runtime destroys the socket (FC closes the client's side then, which sees 1006).
 * The timer and the listeners hang on the socket, so a connection leaves nothing behind.
 *
 * Node quirk: `closeAllConnections()` does not reach upgraded sockets and `server.close()` waits
 * for them, so shutdown closes them itself ({@link closeWebSockets}).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestHeaderScan } from '../rules/request-headers.js';
import { forgetConnection } from './connections.js';
import { Context, kAbort, type ContextSource } from './context.js';
import { queueMarker } from './output.js';
import type { Runtime } from './runtime.js';
import { clearTimeout, setTimeout } from '../rules/timers.js';

/**
 * One upgraded connection: the handshake's header scan, its context's source and the
 * connection's state in one object (as an HTTP request's Invocation), since a WebSocket server
 * takes one per handshake and every object on this path is paid for in garbage collection.
 */
export class OpenConnection extends RequestHeaderScan implements ContextSource {
  readonly socket: Duplex;
  readonly runtime: Runtime;
  readonly startedAt: number;
  /** The headers the app sees, set once the handshake is accepted (after the hidden ones are removed). */
  headers: IncomingHttpHeaders = {};
  timer: NodeJS.Timeout | undefined = undefined;
  #context: Context | undefined;

  constructor(socket: Duplex, runtime: Runtime) {
    super();
    this.socket = socket;
    this.runtime = runtime;
    this.startedAt = Date.now();
  }

  /** The socket, whose early close aborts the context's signal. */
  get res(): Duplex {
    return this.socket;
  }

  get context(): Context {
    return this.#context ??= new Context(this);
  }
}

/** A WebSocket close frame from the server, unmasked: FIN + close, length 2, code 1001 "going away" (RFC 6455 §5.5.1, §7.4.1). */
const CLOSE_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);
/** How long shutdown lets the apps close their connections themselves, then waits for the peer's close. */
export const WEBSOCKET_CLOSE_GRACE_MS = 200;
export const WEBSOCKET_CLOSE_WAIT_MS = 500;

/** The connection an upgraded socket carries, for its close listener and the `upgrade` handler. */
const kConnection = Symbol('fc-container.websocket');
type TrackedSocket = Duplex & { [kConnection]?: OpenConnection };

/**
 * Follows an accepted connection's socket until it closes; arms the function timeout when FC sent
 * one (`x-fc-function-timeout` as the header scan read it).
 */
export function trackWebSocket(connection: OpenConnection): void {
  const { socket, runtime } = connection;
  runtime.websockets.add(connection);
  forgetConnection(socket as Socket);
  if (connection.functionTimeout > 0) connection.timer = setTimeout(onDeadline, connection.functionTimeout * 1000, connection);
  (socket as TrackedSocket)[kConnection] = connection;
  // One shared listener, the connection found on the socket, and `on`, not `once` (a socket
  // closes once): no closure or wrapper per connection.
  socket.on('close', onWebSocketClose);
}

/** The connection `socket` carries, once {@link trackWebSocket} has taken it. */
export function connectionOf(socket: Duplex): OpenConnection | undefined {
  return (socket as TrackedSocket)[kConnection];
}

function onWebSocketClose(this: TrackedSocket): void {
  endConnection(this[kConnection]!);
}

/** Ends a connection's invocation (its End marker), once: at its socket's close, or at shutdown. */
function endConnection(connection: OpenConnection): void {
  const { runtime } = connection;
  if (!runtime.websockets.delete(connection)) return;
  clearTimeout(connection.timer);
  if (runtime.options.markers) queueMarker('Invoke', 'End', connection.requestId, runtime.websockets.size === 0);
}

function onDeadline(connection: OpenConnection): void {
  connection.context[kAbort](new DOMException(`Function timed out after ${connection.context.function.timeout} seconds`, 'TimeoutError'));
  connection.socket.destroy();
}

/**
 * At shutdown: each connection's signal has aborted already (the runtime's shutdown signal), so an
 * app can close with 1001 itself; after a short grace, the runtime writes a 1001 close frame to
 * each socket still open, waits briefly for the peer's close, then destroys what is left.
 */
export async function closeWebSockets(runtime: Runtime): Promise<void> {
  if (runtime.websockets.size === 0) return;
  await waitForClose(runtime, WEBSOCKET_CLOSE_GRACE_MS);
  for (const { socket } of runtime.websockets) if (socket.writable) socket.write(CLOSE_GOING_AWAY);
  await waitForClose(runtime, WEBSOCKET_CLOSE_WAIT_MS);
  endWebSockets(runtime);
}

/**
 * Destroys every connection still open and ends its invocation at once. Not at its `'close'`
 * event: a destroyed socket emits that in a later turn, and the server's own `'close'` (which
 * shutdown waits for, and then exits) can come first, so its End marker would be lost.
 */
export function endWebSockets(runtime: Runtime): void {
  for (const connection of runtime.websockets) {
    connection.socket.destroy();
    endConnection(connection);
  }
}

/** Resolves once every connection has closed, or after `ms`. */
function waitForClose(runtime: Runtime, ms: number): Promise<void> {
  const closing = [...runtime.websockets].map(({ socket }) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    void Promise.all(closing).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
