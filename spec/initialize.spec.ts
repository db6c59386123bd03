import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invoke, send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';

const initialize = (port: number) => send(port, {
  method: 'POST',
  path: '/initialize',
  headers: { 'x-fc-control-path': '/initialize' },
});

test('50 concurrent /initialize requests share one run and all get its body', async (t) => {
  let runs = 0;
  const local = await startServer({
    initialize: async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { ready: true };
    },
  });
  t.after(() => local.close());
  const replies = await Promise.all(Array.from({ length: 50 }, () => initialize(local.port)));
  assert.equal(runs, 1);
  for (const reply of replies) {
    assert.equal(reply.status, 200);
    assert.equal(reply.text, '{"ready":true}');
  }
  // After success: the same body again, without running it.
  const later = await initialize(local.port);
  assert.equal(later.text, '{"ready":true}');
  assert.equal(later.headers['content-type'], 'application/json');
  assert.equal(runs, 1);
});

test('a failure answers 404 with error JSON to every waiter; the next request runs it again', async (t) => {
  let runs = 0;
  const local = await startServer({
    initialize: async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (runs === 1) throw new Error('database not ready');
      return 'second time lucky';
    },
  });
  t.after(() => local.close());
  const failed = await Promise.all(Array.from({ length: 10 }, () => initialize(local.port)));
  assert.equal(runs, 1);
  for (const reply of failed) {
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['x-fc-status'], '404');
    assert.equal(reply.json().errorMessage, 'database not ready');
  }
  const retried = await Promise.all(Array.from({ length: 10 }, () => initialize(local.port)));
  assert.equal(runs, 2);
  for (const reply of retried) assert.equal(reply.text, 'second time lucky');
  await initialize(local.port);
  assert.equal(runs, 2);
});

test('an invoke before any /initialize runs the Initializer first, through the same gate', async (t) => {
  const order: string[] = [];
  const local = await startServer({
    initialize: async () => { order.push('initialize'); await new Promise((r) => setTimeout(r, 20)); },
    invoke: () => { order.push('invoke'); return 'done'; },
  });
  t.after(() => local.close());
  const replies = await Promise.all([invoke(local.port, 'a'), invoke(local.port, 'b'), initialize(local.port)]);
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
  assert.deepEqual(order, ['initialize', 'invoke', 'invoke']);
});

test('when the gate fails for an invoke, that invoke fails with the error JSON and the handler does not run', async (t) => {
  let invoked = 0;
  let runs = 0;
  const local = await startServer({
    initialize: () => { runs++; if (runs === 1) throw new Error('init failed'); },
    invoke: () => { invoked++; return 'ok'; },
    http: (_req, res) => { invoked++; res.end('ok'); },
  });
  t.after(() => local.close());
  const reply = await invoke(local.port, 'x');
  assert.equal(reply.status, 404);
  assert.equal(reply.json().errorMessage, 'init failed');
  assert.equal(invoked, 0);
  const ok = await invoke(local.port, 'x');
  assert.equal(ok.text, 'ok');
  assert.equal(runs, 2);
});

test('an HTTP request whose gate fails gets 500 with x-fc-status 404 and no stack', async (t) => {
  const local = await startServer({
    initialize: () => { throw new Error('no config'); },
    http: (_req, res) => { res.end('never'); },
  });
  t.after(() => local.close());
  const reply = await send(local.port, { path: '/x' });
  assert.equal(reply.status, 500);
  assert.equal(reply.headers['x-fc-status'], '404');
  assert.deepEqual(reply.json(), { errorMessage: 'no config', errorType: 'Error' });
});

test('an Initializer result that cannot be serialised is a failure, and it is retried', async (t) => {
  let runs = 0;
  const local = await startServer({ initialize: () => (++runs === 1 ? { big: 1n } : 'ok') });
  t.after(() => local.close());
  assert.equal((await initialize(local.port)).status, 404);
  assert.equal((await initialize(local.port)).text, 'ok');
  assert.equal(runs, 2);
});

test('once the Initializer has succeeded, a handler runs in the same turn as Node\'s request event', async (t) => {
  // A second 'request' listener runs right after the runtime's, in the same turn: the handler has
  // already been called there only if nothing was awaited between the two.
  const calledBeforeNextListener: boolean[] = [];
  let called = false;
  const local = await startServer({
    initialize: () => undefined,
    invoke: () => {
      called = true;
      return 'ok';
    },
    http: (_req, res) => {
      called = true;
      res.end('ok');
    },
  });
  t.after(() => local.close());
  local.server.on('request', () => {
    calledBeforeNextListener.push(called);
    called = false;
  });
  await send(local.port, { method: 'POST', path: '/initialize', headers: { 'x-fc-control-path': '/initialize' } });
  calledBeforeNextListener.length = 0;
  assert.equal((await invoke(local.port)).text, 'ok');
  assert.equal((await send(local.port, { path: '/hello' })).text, 'ok');
  assert.deepEqual(calledBeforeNextListener, [true, true], 'invoke (empty event), then HTTP');
});

test('x-fc-initialization-timeout: 0.2 and an Initializer that never settles: /initialize answers FunctionTimeout', { timeout: 10_000 }, async (t) => {
  let runs = 0;
  let release: () => void = () => {};
  const stuck = new Promise<void>((resolve) => { release = resolve; });
  const local = await startServer({
    initialize: async () => {
      runs++;
      await stuck;
      return 'ready';
    },
  });
  t.after(() => { release(); return local.close(); });
  const started = Date.now();
  const reply = await send(local.port, {
    method: 'POST',
    path: '/initialize',
    headers: { 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': '0.2' },
  });
  assert.equal(reply.status, 404);
  assert.equal(reply.json().errorType, 'FunctionTimeout');
  assert.match(reply.json().errorMessage, /timed out after 0\.2 seconds/);
  assert.ok(Date.now() - started < 5_000);
  assert.equal(runs, 1);
});
