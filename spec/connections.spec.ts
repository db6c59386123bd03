// The connection tracking behind the drain at shutdown (lib/runtime/connections.ts): Node's own
// connection list where this Node keeps one, the runtime's own list where not, the same answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer } from '../lib/index.js';
import { closeUnservedConnections, findNodeConnections, listConnections, trackConnections } from '../lib/runtime/connections.js';

type TestContext = { after: (fn: () => unknown) => void };

/** A server from createServer() whose HTTP function holds its response, and whose upgrade handler holds the socket. */
async function start(t: TestContext, useNodeList: boolean): Promise<{ server: Server; port: number; responded: Promise<ServerResponse>; upgraded: Promise<Duplex> }> {
  let respond!: (res: ServerResponse) => void;
  let upgrade!: (socket: Duplex) => void;
  const responded = new Promise<ServerResponse>((resolve) => { respond = resolve; });
  const upgraded = new Promise<Duplex>((resolve) => { upgrade = resolve; });
  const server = createServer({ http: (_req, res) => respond(res), upgrade: (_req, socket) => upgrade(socket) }, { markers: false, logLevel: 'silent' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  trackConnections(server, useNodeList);
  t.after(async () => {
    (await Promise.race([upgraded, undefined]))?.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { server, port: (server.address() as { port: number }).port, responded, upgraded };
}

/** A client connection the server has accepted, having sent `data`. */
async function open(server: Server, port: number, data: string): Promise<Socket> {
  const accepted = once(server, 'connection');
  const socket = createConnection(port, '127.0.0.1');
  socket.on('error', () => {});
  await accepted;
  if (data) socket.write(data);
  return socket;
}

test('this Node keeps the connection list the runtime reads once the server listens (if Node moves it, this fails and the runtime keeps its own)', async (t) => {
  const server = createServer({ http: () => {} });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((resolve) => server.close(resolve)));
  assert.equal(typeof findNodeConnections(server)?.all, 'function');
});

for (const useNodeList of [true, false]) {
  const which = useNodeList ? 'Node\'s list' : 'the runtime\'s own list';
  test(`with ${which}: the drain closes a connection that sent nothing and one with half a request, counts one being served, and leaves an upgraded one alone`, async (t) => {
    const { server, port, responded, upgraded } = await start(t, useNodeList);
    const silent = await open(server, port, '');
    const half = await open(server, port, 'GET /half HTTP/1.1\r\nHost: x\r\n');
    const served = await open(server, port, 'GET /served HTTP/1.1\r\nHost: x\r\n\r\n');
    const res = await responded;
    await open(server, port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const socket = await upgraded;
    const listed = [...listConnections(server)];
    assert.equal(listed.length, 3);
    assert.ok(!listed.includes(socket as Socket));
    const closed = [once(silent, 'close'), once(half, 'close')];
    assert.equal(closeUnservedConnections(server), 1);
    await Promise.all(closed);
    assert.equal(served.destroyed, false);
    assert.equal(socket.destroyed, false);
    res.end('done');
    const [chunk] = await once(served, 'data') as [Buffer];
    assert.match(chunk.toString(), /^HTTP\/1\.1 200/);
  });
}
