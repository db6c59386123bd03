import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send, invoke } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';

test('x-fc-control-path decides the route, whatever the wire says', async (t) => {
  const calls: string[] = [];
  const local = await startServer({
    invoke: () => { calls.push('invoke'); return 'i'; },
    initialize: () => { calls.push('initialize'); return 'init'; },
    http: (_req, res) => { calls.push('http'); res.end('h'); },
  });
  t.after(() => local.close());
  // An HTTP-trigger request whose client path happens to be POST /invoke stays an HTTP request.
  const viaHttp = await send(local.port, { method: 'POST', path: '/invoke', headers: { 'x-fc-control-path': '/http-invoke' } });
  assert.equal(viaHttp.text, 'h');
  // FC's event invocation.
  const viaInvoke = await send(local.port, { method: 'POST', path: '/invoke', headers: { 'x-fc-control-path': '/invoke' } });
  assert.equal(viaInvoke.text, 'i');
  const viaInit = await send(local.port, { method: 'POST', path: '/initialize', headers: { 'x-fc-control-path': '/initialize' } });
  assert.equal(viaInit.text, 'init');
  // The Initializer ran once, before the first request (the gate), and not again on /initialize.
  assert.deepEqual(calls, ['initialize', 'http', 'invoke']);
});

test('without the header the wire decides: POST /invoke, POST /initialize, hooks, else HTTP', async (t) => {
  const calls: string[] = [];
  const local = await startServer({
    invoke: () => { calls.push('invoke'); return 'i'; },
    initialize: () => { calls.push('initialize'); },
    preStop: () => { calls.push('preStop'); },
    preFreeze: () => { calls.push('preFreeze'); },
    http: (req, res) => { calls.push(`http ${req.method} ${req.url}`); res.end(); },
  });
  t.after(() => local.close());
  assert.equal((await send(local.port, { method: 'POST', path: '/invoke?x=1' })).text, 'i');
  assert.equal((await send(local.port, { method: 'POST', path: '/initialize' })).status, 200);
  assert.equal((await send(local.port, { method: 'GET', path: '/pre-stop' })).status, 200);
  assert.equal((await send(local.port, { method: 'GET', path: '/pre-freeze' })).status, 200);
  await send(local.port, { method: 'GET', path: '/invoke' });
  await send(local.port, { method: 'POST', path: '/pre-stop' });
  await send(local.port, { method: 'GET', path: '/invoker' });
  await send(local.port, { method: 'GET', path: '/' });
  assert.deepEqual(calls, ['initialize', 'invoke', 'preStop', 'preFreeze', 'http GET /invoke', 'http POST /pre-stop', 'http GET /invoker', 'http GET /']);
});

test('a control path without its handler goes to the HTTP function (an app implementing /invoke itself)', async (t) => {
  const seen: string[] = [];
  const local = await startServer({
    http: (req, res) => { seen.push(`${req.method} ${req.url}`); res.end(`app ${req.url}`); },
  });
  t.after(() => local.close());
  assert.equal((await invoke(local.port, 'x')).text, 'app /invoke');
  assert.equal((await send(local.port, { method: 'POST', path: '/initialize', headers: { 'x-fc-control-path': '/initialize' } })).text, 'app /initialize');
  assert.equal((await send(local.port, { path: '/pre-stop' })).text, 'app /pre-stop');
  assert.deepEqual(seen, ['POST /invoke', 'POST /initialize', 'GET /pre-stop']);
});

test('with no handler at all, invoke and initialize get 404 JSON naming the missing handler', async (t) => {
  const local = await startServer({ preStop: () => {} });
  t.after(() => local.close());
  const reply = await invoke(local.port, 'x');
  assert.equal(reply.status, 404);
  assert.equal(reply.headers['x-fc-status'], '404');
  assert.equal(reply.json().errorType, 'HandlerNotFound');
  assert.match(reply.json().errorMessage, /"invoke" handler/);
  const init = await send(local.port, { method: 'POST', path: '/initialize' });
  assert.equal(init.status, 404);
  assert.match(init.json().errorMessage, /"initialize" handler/);
  const http = await send(local.port, { path: '/anything' });
  assert.equal(http.status, 404);
  assert.match(http.json().errorMessage, /"http or fetch" handler/);
});

test('hooks: 200 on success, 404 with error JSON on failure, 200 when there is nothing to run', async (t) => {
  const bare = await startServer({ invoke: () => 'x' });
  t.after(() => bare.close());
  assert.equal((await send(bare.port, { path: '/pre-stop' })).status, 200);
  assert.equal((await send(bare.port, { path: '/pre-freeze' })).status, 200);

  const failing = await startServer({ preStop: () => { throw new Error('cannot stop'); }, preFreeze: async () => {} });
  t.after(() => failing.close());
  const stop = await send(failing.port, { path: '/pre-stop' });
  assert.equal(stop.status, 404);
  assert.equal(stop.headers['x-fc-status'], '404');
  assert.equal(stop.json().errorMessage, 'cannot stop');
  assert.equal((await send(failing.port, { path: '/pre-freeze' })).status, 200);
});

test('health path answers 200 at once without running initialize or the HTTP function', async (t) => {
  let runs = 0;
  const local = await startServer({
    initialize: () => { runs++; },
    http: (_req, res) => { runs++; res.end(); },
  }, { healthPath: '/healthz' });
  t.after(() => local.close());
  const reply = await send(local.port, { path: '/healthz' });
  assert.equal(reply.status, 200);
  assert.equal(reply.text, 'OK');
  assert.equal(runs, 0);
  await send(local.port, { path: '/healthz2' });
  assert.equal(runs, 2); // initialize ran (gate) and then the HTTP function
});
