/**
 * WebSocket on HTTP functions, in both styles, with FC's rules on every handshake: the `upgrade`
 * handler (Node style, `ws`) and an app's own `'upgrade'` listener (`@hono/node-ws`, `ws`'s
 * `WebSocketServer({ server })`) get the handshake after the request limits, the header rules,
 * the base path and the Initializer; the connection is one invocation (markers, `getContext()`,
 * the deadline); an `Upgrade` other than WebSocket is refused once something listens; SIGTERM
 * closes open sockets with 1001.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { createServer, getContext, type Handlers, type Options } from '../lib/index.js';
import { getRuntime } from '../lib/server.js';
import { spawnNode, spawnServer, type ChildServer } from './helpers/child-server.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';
import { ask, connect } from './helpers/websocket-client.js';

type TestContext = { after: (fn: () => unknown) => void };

/**
 * A server from createServer() on a free loopback port, closed after the test. Its upgraded
 * sockets are destroyed first (server.close() waits for them), so a test that failed with a
 * connection open ends instead of hanging.
 */
async function listen(t: TestContext, handlers: Handlers, options: Options = {}): Promise<{ server: Server; port: number }> {
  const server = createServer(handlers, { markers: false, logLevel: 'silent', ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => {
    for (const { socket } of getRuntime(server)!.websockets) socket.destroy();
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { server, port: (server.address() as { port: number }).port };
}



/** A raw handshake: the status line and body the server wrote before closing. */
function handshake(extra = '', path = '/chat'): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
}

test('Node style through `fc-container serve --async-context`: echo, getContext() in the handler, the handshake\'s own headers kept and FC\'s hidden ones not, markers around the connection', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'ws-node.mjs'), ['--async-context']);
  t.after(() => server.kill('SIGKILL'));
  const ws = await connect(`ws://127.0.0.1:${server.port}/chat`, { 'x-fc-request-id': 'ws-node-1', 'accept-encoding': 'gzip' });
  assert.equal(await ask(ws, 'ping'), 'echo ping');
  assert.equal(await ask(ws, 'context'), 'context ws-node-1 ws-node-1');
  const headers = JSON.parse(await ask(ws, 'headers')) as string[];
  for (const name of ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version']) assert.ok(headers.includes(name), name);
  assert.ok(!headers.includes('accept-encoding'));
  // A connection's markers may wait up to MARKER_LINGER_MS to share a write.
  await server.waitForOutput(/FC Invoke Start RequestId: ws-node-1\n/);
  assert.doesNotMatch(server.stdout(), /FC Invoke End RequestId: ws-node-1/);
  ws.close();
  await server.waitForOutput(/FC Invoke End RequestId: ws-node-1\n/);
  // An ordinary request still reaches the HTTP function.
  assert.equal((await send(server.port, { path: '/plain' })).text, 'http GET /plain upgrade=');
});

test('Fetch style: a Hono app with @hono/node-ws, injectWebSocket(await serve(...)): echo, getContext() in the route, markers', async (t) => {
  const server = await spawnNode(['--import', 'tsx', join(FIXTURES, 'ws-hono.mjs')]);
  t.after(() => server.kill('SIGKILL'));
  const ws = await connect(`ws://127.0.0.1:${server.port}/ws`, { 'x-fc-request-id': 'ws-hono-1' });
  assert.equal(await ask(ws, 'hi'), 'echo hi');
  assert.equal(await ask(ws, 'context'), 'context ws-hono-1');
  ws.close();
  await server.waitForOutput(/FC Invoke Start RequestId: ws-hono-1\nFC Invoke End RequestId: ws-hono-1\n/);
  assert.equal((await send(server.port, { path: '/' })).text, 'hono http');
});

test('a handshake over the header or the path limit: FC\'s 400 JSON on the socket, the app\'s listener never called', async (t) => {
  const { server, port } = await listen(t, {});
  let calls = 0;
  const wss = new WebSocketServer({ server });
  wss.on('connection', () => { calls++; });
  server.on('upgrade', () => { calls++; });
  for (const raw of [handshake(`X-Big: ${'v'.repeat(5000)}\r\n`), handshake('', `/${'p'.repeat(5000)}`)]) {
    const reply = await sendRaw(port, raw);
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(reply, /\r\nx-fc-request-id: \S+\r\n/);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { ErrorCode: string };
    assert.equal(body.ErrorCode, 'InvalidArgument');
  }
  assert.equal(calls, 0);
  // Within the limits the same listeners answer.
  const ws = await connect(`ws://127.0.0.1:${port}/chat`);
  ws.close();
  assert.equal(calls, 2);
});

test('the upgrade handler gets its context as the fourth argument; getContext() in it follows asyncContext, as in an HTTP handler', async (t) => {
  for (const asyncContext of [false, true]) {
    const seen: [string, string | undefined][] = [];
    const wss = new WebSocketServer({ noServer: true });
    const { port } = await listen(t, {
      upgrade: (req, socket, head, context) => {
        seen.push([context.requestId, getContext()?.requestId]);
        wss.handleUpgrade(req, socket, head, (ws) => ws.close(1000));
      },
    }, { asyncContext });
    const ws = await connect(`ws://127.0.0.1:${port}/`, { 'x-fc-request-id': `arg-${asyncContext}` });
    const [code] = await once(ws, 'close') as [number];
    assert.equal(code, 1000);
    assert.deepEqual(seen, [[`arg-${asyncContext}`, asyncContext ? 'arg-true' : undefined]]);
  }
});

test('a listener runs inside the connection\'s context, without asyncContext: getContext() there and in what it starts', async (t) => {
  const { server, port } = await listen(t, {});
  const seen: (string | undefined)[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen.push(getContext()?.requestId);
    setTimeout(() => {
      seen.push(getContext()?.requestId);
      socket.destroy();
    }, 1);
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { 'x-fc-request-id': 'ctx-1' } });
  ws.on('error', () => {}); // the listener closes the socket without answering: a hang-up
  await new Promise((resolve) => ws.on('close', resolve));
  assert.deepEqual(seen, ['ctx-1', 'ctx-1']);
  assert.equal(server.listenerCount('upgrade'), 1, 'the runtime added no listener of its own');
});

test('the function timeout: context.signal aborts with TimeoutError and the socket is destroyed (the client sees 1006)', async (t) => {
  let reason: unknown;
  const wss = new WebSocketServer({ noServer: true });
  const { port } = await listen(t, {
    upgrade: (req, socket, head, context) => {
      context.signal.addEventListener('abort', () => { reason = context.signal.reason; });
      wss.handleUpgrade(req, socket, head, () => {});
    },
  });
  const ws = await connect(`ws://127.0.0.1:${port}/`, { 'x-fc-function-timeout': '0.3' });
  const [code] = await once(ws, 'close') as [number];
  assert.equal(code, 1006);
  assert.equal((reason as DOMException).name, 'TimeoutError');
});

test('an Upgrade other than websocket: FC\'s 400 and the connection closed once something listens; the HTTP function without', async (t) => {
  const h2c = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n';
  const withListener = await listen(t, { http: (req, res) => res.end('http') });
  new WebSocketServer({ server: withListener.server });
  const refused = await sendRaw(withListener.port, h2c);
  assert.match(refused, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(refused, /Upgrade \\"h2c\\" is not supported/);

  const plain = await listen(t, { http: (req, res) => res.end(`http upgrade=${req.headers.upgrade}`) });
  const answered = await sendRaw(plain.port, h2c.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  assert.match(answered, /^HTTP\/1\.1 200 OK\r\n[\s\S]*http upgrade=h2c$/);
});

test('the Initializer runs before the handshake is handed over; a client that resets while it runs leaves the server up', async (t) => {
  let initialized = 0;
  let handed = 0;
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => { markStarted = resolve; });
  const wss = new WebSocketServer({ noServer: true });
  const { port } = await listen(t, {
    initialize: async () => {
      markStarted();
      await new Promise((resolve) => setTimeout(resolve, 100));
      initialized++;
    },
    upgrade: (req, socket, head) => { handed++; wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo ${m}`))); },
  });
  // Resets during the Initializer's run.
  const early = new WebSocket(`ws://127.0.0.1:${port}/`);
  early.on('error', () => {});
  await started;
  early.terminate();
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  assert.equal(await ask(ws, 'after'), 'echo after');
  assert.equal(initialized, 1);
  assert.ok(handed >= 1);
  ws.close();
});

test('a socket the handler keeps without an error listener gets the runtime\'s; one ws takes has only ws\'s; a reset later leaves the server up', async (t) => {
  let hold!: (socket: Duplex) => void;
  const held = new Promise<Duplex>((resolve) => { hold = resolve; });
  const wss = new WebSocketServer({ noServer: true });
  let wsSocket: Duplex | undefined;
  const { port } = await listen(t, {
    upgrade: (req, socket, head) => {
      if (req.url === '/keep') return hold(socket);
      wsSocket = socket;
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo ${m}`)));
    },
  });
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  assert.equal(wsSocket!.listenerCount('error'), 1);
  const client = createConnection(port, '127.0.0.1');
  client.write(handshake('', '/keep'));
  const socket = await held;
  assert.equal(socket.listenerCount('error'), 1);
  // Reading, the server sees the reset as ECONNRESET: an 'error' with nobody else to take it
  // (not once(socket, 'close'), which would listen for the error itself).
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.resume();
  client.resetAndDestroy();
  await closed;
  assert.equal(await ask(ws, 'still'), 'echo still');
  ws.close();
});

test('a client that vanishes mid-message: the server goes on', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  const { port } = await listen(t, { upgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`echo ${m}`))) });
  for (let i = 0; i < 20; i++) {
    const ws = await connect(`ws://127.0.0.1:${port}/`);
    // A frame header announcing 1000 bytes, then nothing: the client is gone.
    (ws as unknown as { _socket: Duplex })._socket.write(Buffer.from([0x81, 0xfe, 0x03, 0xe8, 1, 2, 3, 4, 5]));
    ws.terminate();
  }
  const ws = await connect(`ws://127.0.0.1:${port}/`);
  assert.equal(await ask(ws, 'still'), 'echo still');
  ws.close();
});

for (const [style, start] of [
  ['Node style', (): Promise<Awaited<ReturnType<typeof spawnServer>>> => spawnServer(join(FIXTURES, 'ws-node.mjs'))],
  ['Fetch style', (): Promise<Awaited<ReturnType<typeof spawnServer>>> => spawnNode(['--import', 'tsx', join(FIXTURES, 'ws-hono.mjs')])],
] as const) {
  test(`SIGTERM with open sockets (${style}): each client sees 1001, a connection that sent nothing is closed, the process exits 0`, async (t) => {
    const server = await start();
    t.after(() => server.kill('SIGKILL'));
    // Accepted before the handshakes (in order): the drain must find it though a server that
    // upgrades tracks its connections in its emit wrapper, not a 'connection' listener.
    const silent = createConnection(server.port, '127.0.0.1');
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');
    const { codes, exitCode } = await terminateWithOpenSockets(server, style === 'Node style' ? '/chat' : '/ws');
    assert.deepEqual(codes, [1001, 1001, 1001]);
    assert.equal(exitCode, 0);
    assert.doesNotMatch(server.stdout(), /cut off/);
    await silentClosed;
  });
}

test('SIGTERM with a shutdown timeout shorter than the close grace: the sockets are cut, every End marker is out, exit 1', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'ws-node.mjs'), ['--shutdown-timeout', '50']);
  t.after(() => server.kill('SIGKILL'));
  const { codes, exitCode } = await terminateWithOpenSockets(server, '/chat');
  // Cut before the runtime's 1001 (after WEBSOCKET_CLOSE_GRACE_MS): no close frame, as at FC's timeout.
  assert.deepEqual(codes, [1006, 1006, 1006]);
  assert.equal(exitCode, 1);
});

/**
 * Opens three connections to `path`, sends SIGTERM, and waits for the process to be gone with its
 * stdout read to the end. Each connection's Start and End marker must be out. Resolves to the
 * clients' close codes and the exit code.
 */
async function terminateWithOpenSockets(server: ChildServer, path: string): Promise<{ codes: number[]; exitCode: number | string }> {
  const sockets = await Promise.all([0, 1, 2].map(() => connect(`ws://127.0.0.1:${server.port}${path}`)));
  const closes = sockets.map((ws) => once(ws, 'close').then(([code]) => code as number));
  server.kill('SIGTERM');
  const codes = await Promise.all(closes);
  const exitCode = await server.exited;
  const out = server.stdout();
  const ids = (phase: string): string[] => [...out.matchAll(new RegExp(`FC Invoke ${phase} RequestId: (\\S+)`, 'g'))].map((m) => m[1]!).sort();
  assert.equal(ids('Start').length, 3, out);
  assert.deepEqual(ids('End'), ids('Start'));
  return { codes, exitCode };
}

test('at shutdown an open connection\'s signal aborts first, then it gets the 1001 close frame and shutdown resolves 0', async (t) => {
  const { shutdown } = await import('../lib/runtime/shutdown.js');
  const aborted: string[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const { server, port } = await listen(t, {
    upgrade: (req, socket, head, context) => {
      context.signal.addEventListener('abort', () => aborted.push((context.signal.reason as DOMException).name));
      wss.handleUpgrade(req, socket, head, () => {});
    },
  });
  const open = await connect(`ws://127.0.0.1:${port}/`);
  const closed = once(open, 'close');
  const stopping = shutdown(server, getRuntime(server)!, 'test');
  const [code] = await closed as [number];
  assert.equal(code, 1001);
  assert.deepEqual(aborted, ['AbortError']);
  assert.equal(await stopping, 0);
});
