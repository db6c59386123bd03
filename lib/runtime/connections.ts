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
type TrackedServer = Server & { [kOpen]?: Set<Socket> };
/** Node's own fields: the response a connection is serving (null between requests), and its server. */
type ServedSocket = Socket & { _httpMessage?: unknown; server?: TrackedServer };

/** Starts tracking the connections `server` accepts. Call before it accepts any. */
export function trackConnections(server: Server): void {
  (server as TrackedServer)[kOpen] = new Set();
  server.on('connection', onConnection);
}

function onConnection(this: TrackedServer, socket: Socket): void {
  this[kOpen]!.add(socket);
  // `on`, not `once`: a socket closes once, and once() allocates a wrapper per connection.
  socket.on('close', onClose);
}

function onClose(this: ServedSocket): void {
  this.server?.[kOpen]?.delete(this);
}

/**
 * Stops tracking an upgraded connection: it serves no request, so the drain must not close it as
 * idle; shutdown closes open WebSockets with a close frame instead (websockets.ts).
 */
export function forgetConnection(socket: Socket): void {
  onClose.call(socket as ServedSocket);
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
