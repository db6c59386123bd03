/**
 * examples/websocket (`ws`, Node style: an `upgrade` export beside `http`) and
 * examples/hono-websocket (Hono with @hono/node-ws, a module that calls `serve()` itself), as their
 * images run them (`serve`) and behind the local gateway on both domain forms: echo, plain HTTP
 * beside it, one invocation per connection, and the health path of the CMD's --health-path.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { WebSocket } from 'ws';
import type { ChildServer } from './helpers/child-server.js';
import { emulateExample, startExample } from './helpers/examples.js';
import { PROXY } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { ask, connect } from './helpers/websocket-client.js';

const EXAMPLES = [
  { name: 'websocket', wsPath: '/', home: /^A WebSocket echo service/ },
  { name: 'hono-websocket', wsPath: '/ws', home: /^A Hono WebSocket echo service/ },
] as const;

/** The example started by its CMD on a free loopback port, stopped (and awaited) after the test. */
async function startChild(t: TestContext, name: string): Promise<ChildServer> {
  const child = await startExample(name);
  t.after(async () => {
    child.kill();
    await child.exited;
  });
  return child;
}

/** An open WebSocket, dropped after the test if the test left it open. */
async function open(t: TestContext, url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = await connect(url, headers);
  t.after(() => ws.terminate());
  return ws;
}

/** Closes from the client side and resolves once the close handshake is done. */
async function closeSocket(ws: WebSocket): Promise<void> {
  const closed = once(ws, 'close');
  ws.close();
  await closed;
}

/** The request ids of the child's `FC Invoke <phase>` markers so far, sorted. */
function markerIds(child: ChildServer, phase: 'Start' | 'End'): string[] {
  return [...child.stdout().matchAll(new RegExp(`^FC Invoke ${phase} RequestId: (\\S+)$`, 'gm'))].map((m) => m[1]!).sort();
}

for (const { name, wsPath, home } of EXAMPLES) {
  test(`${name} through serve: a ws client at ${wsPath} gets its two messages echoed`, async (t) => {
    const child = await startChild(t, name);
    const ws = await open(t, `ws://127.0.0.1:${child.port}${wsPath}`);
    assert.equal(await ask(ws, 'hello'), 'hello');
    assert.equal(await ask(ws, 'a second message'), 'a second message');
    await closeSocket(ws);
  });

  test(`${name} through serve: a plain GET / answers 200 with text`, async (t) => {
    const child = await startChild(t, name);
    const reply = await send(child.port, { path: '/' });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^text\/plain/);
    assert.match(reply.text, home);
  });

  test(`${name} through serve: the WebSocket connection is one invocation, its one Start/End marker pair printed (End once it closes) beside those of the plain GETs`, async (t) => {
    const child = await startChild(t, name);
    const url = `ws://127.0.0.1:${child.port}${wsPath}`;
    assert.equal((await send(child.port, { path: '/', headers: { 'x-fc-request-id': 'get-1' } })).status, 200);
    const ws = await open(t, url, { 'x-fc-request-id': 'ws-1' });
    assert.equal(await ask(ws, 'one'), 'one');
    assert.equal((await send(child.port, { path: '/', headers: { 'x-fc-request-id': 'get-2' } })).status, 200);
    assert.equal(await ask(ws, 'two'), 'two');
    // get-2's End comes after ws-1's Start in the output: both are there once it is.
    await child.waitForOutput(/^FC Invoke End RequestId: get-2$/m);
    assert.deepEqual(markerIds(child, 'Start'), ['get-1', 'get-2', 'ws-1']);
    assert.deepEqual(markerIds(child, 'End'), ['get-1', 'get-2'], 'no End for the connection while it is open');
    await closeSocket(ws);
    await child.waitForOutput(/^FC Invoke End RequestId: ws-1$/m);
    assert.deepEqual(markerIds(child, 'Start'), ['get-1', 'get-2', 'ws-1']);
    assert.deepEqual(markerIds(child, 'End'), ['get-1', 'get-2', 'ws-1']);
  });

  for (const [form, options, base] of [
    ['a custom domain, at the root', { customDomain: true }, ''],
    ['the default domain, its base path stripped by the runtime', {}, PROXY],
  ] as const) {
    test(`${name} through the gateway on ${form}: a ws client at ${base}${wsPath} gets its messages echoed`, async (t) => {
      const { port } = await emulateExample(t, name, options);
      const ws = await open(t, `ws://127.0.0.1:${port}${base}${wsPath}`);
      assert.equal(await ask(ws, 'hello'), 'hello');
      assert.equal(await ask(ws, 'through the gateway'), 'through the gateway');
      await closeSocket(ws);
    });
  }

  test(`${name} through serve: the health path /healthz (the CMD's --health-path) answers 200`, async (t) => {
    const child = await startChild(t, name);
    // --port 0 --host 127.0.0.1 from the command line hold too (for hono-websocket: as the
    // defaults of the module's own serve() call).
    assert.match(child.stdout(), /listening on 127\.0\.0\.1:\d+/);
    assert.notEqual(child.port, 9000);
    const reply = await send(child.port, { path: '/healthz' });
    assert.equal(reply.status, 200);
  });
}
