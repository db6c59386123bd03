import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import Koa from 'koa';
import { fcHeaders, send, type Reply } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';

const BASE = '/2016-08-15/proxy/svc/fn/';

/** Sends as FC would: on the default domain (with the base path) or on a custom domain. */
function viaFc(port: number, domain: 'default' | 'custom', method: string, path: string, body?: string, extra: Record<string, string> = {}): Promise<Reply> {
  const prefix = domain === 'default' ? BASE.slice(0, -1) : '';
  const headers: Record<string, string> = fcHeaders({ 'x-fc-control-path': '/http-invoke', ...extra });
  if (domain === 'default') headers['x-fc-base-path'] = BASE;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return send(port, { method, path: prefix + path, headers, body });
}

function buildExpressApp(): express.Express {
  const app = express();
  app.use(express.json());
  app.get('/api/users/:id', (req, res) => {
    res.cookie('session', `s-${req.params.id}`, { httpOnly: true });
    res.cookie('theme', 'dark');
    res.json({ id: req.params.id, q: req.query.q ?? null, path: req.path });
  });
  app.post('/api/echo', (req, res) => { res.status(201).json({ got: req.body, cookie: req.headers.cookie ?? null }); });
  app.get('/', (_req, res) => { res.send('root'); });
  return app;
}

for (const domain of ['default', 'custom'] as const) {
  test(`Express 4 app (routes, JSON body, cookies) on the ${domain} domain`, async (t) => {
    const local = await startServer({ http: buildExpressApp() });
    t.after(() => local.close());
    const user = await viaFc(local.port, domain, 'GET', '/api/users/42?q=x');
    assert.equal(user.status, 200);
    assert.deepEqual(user.json(), { id: '42', q: 'x', path: '/api/users/42' });
    const cookies = user.headers['set-cookie'];
    assert.deepEqual(cookies, ['session=s-42; Path=/; HttpOnly', 'theme=dark; Path=/']);
    const echo = await viaFc(local.port, domain, 'POST', '/api/echo', '{"a":[1,2]}', { cookie: 'session=s-42' });
    assert.equal(echo.status, 201);
    assert.deepEqual(echo.json(), { got: { a: [1, 2] }, cookie: 'session=s-42' });
    assert.equal((await viaFc(local.port, domain, 'GET', '/')).text, 'root');
    // Express's own 404 for an unknown route is the app's answer, passed through.
    assert.equal((await viaFc(local.port, domain, 'GET', '/nope')).status, 404);
  });

  test(`Koa app (app.callback()) with routes, JSON body and cookies on the ${domain} domain`, async (t) => {
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.method === 'GET' && ctx.path === '/api/hello') {
        ctx.cookies.set('visited', 'yes', { httpOnly: false });
        ctx.body = { hello: ctx.query.name, path: ctx.path };
      } else if (ctx.method === 'POST' && ctx.path === '/api/echo') {
        let raw = '';
        for await (const chunk of ctx.req) raw += chunk;
        ctx.status = 202;
        ctx.body = { got: JSON.parse(raw), visited: ctx.cookies.get('visited') ?? null };
      } else {
        ctx.status = 404;
        ctx.body = 'no route';
      }
    });
    const local = await startServer({ http: app.callback() });
    t.after(() => local.close());
    const hello = await viaFc(local.port, domain, 'GET', '/api/hello?name=fc');
    assert.deepEqual(hello.json(), { hello: 'fc', path: '/api/hello' });
    assert.deepEqual(hello.headers['set-cookie'], ['visited=yes; path=/']);
    const echo = await viaFc(local.port, domain, 'POST', '/api/echo', '{"b":true}', { cookie: 'visited=yes' });
    assert.equal(echo.status, 202);
    assert.deepEqual(echo.json(), { got: { b: true }, visited: 'yes' });
    assert.equal((await viaFc(local.port, domain, 'GET', '/other')).text, 'no route');
  });
}

test('stripBasePath: false leaves the default-domain prefix in the path; context.basePath always tells it', async (t) => {
  const seen: string[] = [];
  const local = await startServer({ http: (req, res, context) => { seen.push(`${req.url} ${context.basePath}`); res.end(); } }, { stripBasePath: false });
  t.after(() => local.close());
  await viaFc(local.port, 'default', 'GET', '/api?x=1');
  assert.deepEqual(seen, [`${BASE}api?x=1 ${BASE}`]);
});

test('the base path becomes "/" for the bare prefix, and a path outside it is left alone', async (t) => {
  const seen: string[] = [];
  const local = await startServer({ http: (req, res) => { seen.push(req.url!); res.end(); } });
  t.after(() => local.close());
  const headers = fcHeaders({ 'x-fc-control-path': '/http-invoke', 'x-fc-base-path': BASE });
  await send(local.port, { path: '/2016-08-15/proxy/svc/fn', headers });
  await send(local.port, { path: '/2016-08-15/proxy/svc/fn?a=1', headers });
  await send(local.port, { path: '/2016-08-15/proxy/svc/fnx/y', headers });
  await send(local.port, { path: '/elsewhere', headers });
  assert.deepEqual(seen, ['/', '/?a=1', '/2016-08-15/proxy/svc/fnx/y', '/elsewhere']);
});
