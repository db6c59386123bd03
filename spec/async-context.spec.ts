import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { getContext, type Context } from '../lib/index.js';
import { fcHeaders, invoke, send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';

/** Library code deep in an app: no context parameter, only getContext(). */
function deepRequestId(): string | undefined {
  return getContext()?.requestId;
}

test('getContext() finds the request\'s context across awaits and timers, for every handler kind', async (t) => {
  const seen: (string | undefined)[] = [];
  const local = await startServer({
    initialize: async () => { await new Promise((r) => setTimeout(r, 5)); seen.push(`init:${deepRequestId()}`); },
    invoke: async () => {
      await new Promise((r) => setTimeout(r, 5));
      return new Promise((resolve) => setTimeout(() => resolve(deepRequestId()), 5));
    },
    preStop: () => { seen.push(`stop:${deepRequestId()}`); },
  }, { asyncContext: true });
  t.after(() => local.close());
  const replies = await Promise.all(['a', 'b', 'c'].map((id) => invoke(local.port, '', { 'x-fc-request-id': id })));
  assert.deepEqual(replies.map((r) => r.text), ['a', 'b', 'c']);
  await send(local.port, { path: '/pre-stop', headers: { 'x-fc-request-id': 'stop-1' } });
  assert.deepEqual(seen, ['init:a', 'stop:stop-1']);
  assert.equal(getContext(), undefined, 'outside any handler');
});

test('an Express app reads the FC request id from middleware through getContext()', async (t) => {
  const app = express();
  app.use((req, _res, next) => { (req as unknown as { fcId?: string }).fcId = deepRequestId(); next(); });
  app.get('/id', (req, res) => { res.json({ middleware: (req as unknown as { fcId?: string }).fcId, route: deepRequestId() }); });
  const local = await startServer({ http: app }, { asyncContext: true });
  t.after(() => local.close());
  const reply = await send(local.port, { path: '/id', headers: fcHeaders({ 'x-fc-request-id': 'exp-1', 'x-fc-control-path': '/http-invoke' }) });
  assert.deepEqual(reply.json(), { middleware: 'exp-1', route: 'exp-1' });
});

test('without asyncContext, getContext() is undefined inside handlers', async (t) => {
  let inside: Context | undefined | null = null;
  const local = await startServer({ invoke: () => { inside = getContext(); return ''; } });
  t.after(() => local.close());
  await invoke(local.port, '');
  assert.equal(inside, undefined);
});
