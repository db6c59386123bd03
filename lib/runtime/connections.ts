/**
 * The server's open connections, for the drain at shutdown. Node 20's `closeIdleConnections()`
 * does not close a connection that has not sent a whole request yet (Node's connection list
 * does not count it as idle), and `server.close()` stops the `headersTimeout` checker that would
 * have cut it off: a client that connected and sent nothing, or half a request, would hold the
 * exit up for the whole grace period. So the runtime reads every connection and decides itself
 * (also for the credentials in flight when an uncaught error is printed).
 *
 * Where from: Node's own list of the server's HTTP connections, which Node keeps anyway (one
 * parser per connection, from accept to close or upgrade; `closeAllConnections()` reads it).
 * Reading it costs nothing per connection, where a list of the runtime's own costs a set entry
 * and a `'close'` listener on every socket (1-2% of a WebSocket handshake's CPU, bench:
 * websocket). It is Node's internal field, found by its symbol's description (Node 20's
 * `Symbol('http.server.connections')`); where it is missing the runtime keeps its own list, and a
 * spec fails loudly if Node moves it.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What Node keeps per connection in its list: the connection's HTTP parser, with its socket. */
interface NodeConnection {
  readonly socket: Socket;
}

/** Node's list (`ConnectionsList`, its C++ class); `all()` builds an array of the live ones. */
interface NodeConnectionList {
  all(): NodeConnection[];
}

const NODE_CONNECTIONS = 'http.server.connections';
const kOwn = Symbol('fc-container.connections');
const kNode = Symbol('fc-container.nodeConnections');
type TrackedServer = Server & { [kOwn]?: Set<Socket>; [kNode]?: NodeConnectionList };
/** Node's own field: the response a connection is serving (null between requests). */
type ServedSocket = Socket & { _httpMessage?: unknown; server?: TrackedServer };

/** Node's list of `server`'s connections, if this Node keeps one where Node 20 does. */
export function findNodeConnections(server: Server): NodeConnectionList | undefined {
  for (const symbol of Object.getOwnPropertySymbols(server)) {
    if (symbol.description !== NODE_CONNECTIONS) continue;
    const list = (server as unknown as Record<symbol, unknown>)[symbol] as Partial<NodeConnectionList> | undefined;
    return typeof list?.all === 'function' ? list as NodeConnectionList : undefined;
  }
  return undefined;
}

/**
 * Starts tracking the connections `server` accepts: Node's list if found (Node makes it when the
 * server starts listening), else a list of its own (what `useNodeList: false` forces, as a Node
 * without the list would). Call once it listens, before it accepts any connection.
 */
export function trackConnections(server: Server, useNodeList = true): void {
  const node = useNodeList ? findNodeConnections(server) : undefined;
  if (node !== undefined) {
    (server as TrackedServer)[kNode] = node;
    return;
  }
  (server as TrackedServer)[kOwn] = new Set();
  server.on('connection', onConnection);
}

function onConnection(this: TrackedServer, socket: Socket): void {
  this[kOwn]!.add(socket);
  // `on`, not `once`: a socket closes once, and once() allocates a wrapper per connection.
  socket.on('close', onClose);
}

function onClose(this: ServedSocket): void {
  this.server?.[kOwn]?.delete(this);
}

/**
 * Stops tracking an upgraded connection: it serves no request, so the drain must not close it as
 * idle; shutdown closes open WebSockets with a close frame instead (websockets.ts). Node's list
 * has let it go already.
 */
export function forgetConnection(socket: Socket): void {
  (socket as ServedSocket).server?.[kOwn]?.delete(socket);
}

/** The connections `server` has open, as tracked since {@link trackConnections} (none before). */
export function listConnections(server: Server): Iterable<Socket> {
  const node = (server as TrackedServer)[kNode];
  if (node === undefined) return (server as TrackedServer)[kOwn] ?? [];
  const sockets: Socket[] = [];
  for (const connection of node.all()) if (connection.socket) sockets.push(connection.socket);
  return sockets;
}

/**
 * Destroys every tracked connection with no response in progress: idle keep-alive ones, and
 * those whose first request has not fully arrived. A request cut off here had not reached the
 * function. Returns how many connections are still serving a request.
 */
export function closeUnservedConnections(server: Server): number {
  let serving = 0;
  for (const socket of listConnections(server)) {
    if ((socket as ServedSocket)._httpMessage) serving++;
    else socket.destroy();
  }
  return serving;
}
