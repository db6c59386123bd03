/**
 * The server's open connections, for the drain at shutdown. Node 20's `closeIdleConnections()`
 * does not close a connection that has not sent a whole request yet (Node's connection list
 * does not count it as idle), and `server.close()` stops the `headersTimeout` checker that would
 * have cut it off: a client that connected and sent nothing, or half a request, would hold the
 * exit up for the whole grace period. So the runtime keeps its own list (also read for the
 * credentials in flight when an uncaught error is printed): one entry per connection, nothing per
 * request.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const kOpen = Symbol('fc-container.connections');
/** Set once the server's `emit` hands each new connection over ({@link takeConnectionEvents}). */
const kByEmit = Symbol('fc-container.connectionsByEmit');
type TrackedServer = Server & { [kOpen]?: Set<Socket>; [kByEmit]?: true };

/** What a handed-over connection runs at its socket's close (see {@link handOverConnection}). */
export interface CloseHook {
  onSocketClose(): void;
}

/** Where a handed-over socket keeps its {@link CloseHook}. */
export const kCloseHook = Symbol('fc-container.closeHook');

/** Node's own fields: the response a connection is serving (null between requests), and its server. */
type ServedSocket = Socket & { _httpMessage?: unknown; server?: TrackedServer; [kCloseHook]?: CloseHook };

/** Starts tracking the connections `server` accepts. Call before it accepts any. */
export function trackConnections(server: Server): void {
  (server as TrackedServer)[kOpen] = new Set();
  if (!(server as TrackedServer)[kByEmit]) server.on('connection', onConnection);
}

/**
 * Moves the tracking of new connections (once {@link trackConnections} is on, before or after
 * this call) from a `'connection'` listener to the caller, which calls the returned function with
 * each socket the server emits (the upgrade rules' `emit` wrapper). Why: with a second listener
 * beside Node's, every `emit('connection')` copies the listener array, and a WebSocket server
 * takes a connection per handshake.
 */
export function takeConnectionEvents(server: Server): (server: Server, socket: Socket) => void {
  (server as TrackedServer)[kByEmit] = true;
  server.removeListener('connection', onConnection);
  return trackSocket;
}

function onConnection(this: TrackedServer, socket: Socket): void {
  trackSocket(this, socket);
}

function trackSocket(server: Server, socket: Socket): void {
  const open = (server as TrackedServer)[kOpen];
  if (open === undefined) return;
  open.add(socket);
  // `on`, not `once`: a socket closes once, and once() allocates a wrapper per connection.
  socket.on('close', onClose);
}

function onClose(this: ServedSocket): void {
  this.server?.[kOpen]?.delete(this);
  const hook = this[kCloseHook];
  if (hook !== undefined) hook.onSocketClose();
}

/**
 * Stops tracking an upgraded connection: it serves no request, so the drain must not close it as
 * idle; shutdown closes open WebSockets with a close frame instead (websockets.ts). `hook` runs
 * at the socket's close from the listener already on it: no second `'close'` listener per
 * connection (two make an array on the socket, and `ws` adds a third). Returns false when the
 * socket was not tracked, when the caller must listen for its close itself.
 */
export function handOverConnection(socket: Socket, hook: CloseHook): boolean {
  const served = socket as ServedSocket;
  if (served.server?.[kOpen]?.delete(served) !== true) return false;
  served[kCloseHook] = hook;
  return true;
}

/** The connections `server` has open, as tracked since {@link trackConnections} (none before). */
export function listConnections(server: Server): Iterable<Socket> {
  return (server as TrackedServer)[kOpen] ?? [];
}

/**
 * Destroys every tracked connection with no response in progress: idle keep-alive ones, and
 * those whose first request has not fully arrived. A request cut off here had not reached the
 * function. Returns how many connections are still serving a request.
 */
export function closeUnservedConnections(server: Server): number {
  let serving = 0;
  for (const socket of (server as TrackedServer)[kOpen] ?? []) {
    if ((socket as ServedSocket)._httpMessage) serving++;
    else socket.destroy();
  }
  return serving;
}
