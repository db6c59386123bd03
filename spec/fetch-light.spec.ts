import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { send } from './helpers/http-client.js';
import { spawnServer } from './helpers/child-server.js';
import { startServer } from './helpers/local-server.js';
import { FIXTURES } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';

// Node's own classes, read before any server of this file installs the light ones.
const NodeResponse = globalThis.Response;
const NodeRequest = globalThis.Request;
const nodeFetch = globalThis.fetch;

test('fetchGlobals: false keeps Node\'s globals: the handler gets Node\'s own Request, and Node\'s Response is sent', async (t) => {
  let seen = '';
  const local = await startServer({
    fetch: async (request) => {
      seen = `${request instanceof NodeRequest} ${request.headers.get('x-a')} ${await request.text()}`;
      return new NodeResponse('native', { headers: { 'set-cookie': 'a=1' } });
    },
  }, { fetchGlobals: false });
  t.after(() => local.close());
  const reply = await send(local.port, { method: 'POST', body: 'b', headers: { 'x-a': 'A' } });
  assert.equal(reply.text, 'native');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1']);
  assert.equal(seen, 'true A b');
  assert.equal(globalThis.Response, NodeResponse);
  assert.equal(globalThis.Request, NodeRequest);
  assert.equal(globalThis.fetch, nodeFetch);
});

test('a fetch function that uses url, method, Response.json/redirect, text() and json() never loads undici; reading headers does', async (t) => {
  const child = await spawnServer(join(FIXTURES, 'fetch-undici-probe.mjs'));
  t.after(() => child.kill('SIGKILL'));
  const json = await send(child.port, { path: '/json', method: 'PUT' });
  assert.equal(json.status, 201);
  assert.equal(json.headers['content-type'], 'application/json');
  assert.deepEqual(json.json(), { method: 'PUT' });
  const redirect = await send(child.port, { path: '/redirect' });
  assert.equal(redirect.status, 307);
  assert.equal(redirect.headers.location, 'http://localhost/elsewhere');
  const text = await send(child.port, { path: '/text', method: 'POST', body: 'héllo' });
  assert.equal(text.text, 'got héllo');
  assert.equal(text.headers['content-type'], 'text/plain;charset=UTF-8');
  assert.equal(text.headers['x-kind'], 'text');
  const event = await send(child.port, { path: '/event', method: 'POST', body: '{"a":[1,2]}', headers: { 'transfer-encoding': 'chunked' } });
  assert.deepEqual(event.json(), { a: [1, 2] });
  assert.equal(event.headers['content-type'], 'application/json');
  assert.equal((await send(child.port, { path: '/loaded' })).text, 'false');
  assert.equal((await send(child.port, { path: '/headers', headers: { 'x-probe': 'seen' } })).text, 'seen');
  assert.equal((await send(child.port, { path: '/loaded' })).text, 'true');
});

test('a Response returned at once is written in the same turn; one from a promise is not', async (t) => {
  let asPromise = false;
  const local = await startServer({ fetch: () => (asPromise ? Promise.resolve(new Response('later')) : new Response('now')) });
  t.after(() => local.close());
  await send(local.port); // the adapter loads on the first request
  const headersSentAfterListener: boolean[] = [];
  // Runs right after the runtime's own request listener returns, in the same turn.
  local.server.on('request', (_req, res) => headersSentAfterListener.push(res.headersSent));
  assert.equal((await send(local.port)).text, 'now');
  asPromise = true;
  assert.equal((await send(local.port)).text, 'later');
  assert.deepEqual(headersSentAfterListener, [true, false]);
});

test('the handler\'s request works with new Request(request) and a Request subclass; instanceof holds both ways', async (t) => {
  const seen: Record<string, unknown> = {};
  const local = await startServer({
    fetch: async (request) => {
      seen.isRequest = request instanceof Request;
      const copy = new Request(request, { headers: { 'x-added': '1' } });
      seen.copyIsNode = copy instanceof NodeRequest;
      seen.copy = { method: copy.method, url: copy.url, added: copy.headers.get('x-added'), body: await copy.text() };
      class Tagged extends Request {
        tag = 'mine';
      }
      const tagged = new Tagged('http://localhost/x', { method: 'PUT' });
      seen.tagged = { tag: tagged.tag, method: tagged.method, isTagged: tagged instanceof Tagged, isRequest: tagged instanceof Request };
      seen.plainIsNotTagged = request instanceof Tagged;
      return new Response('ok');
    },
  });
  t.after(() => local.close());
  const reply = await send(local.port, { method: 'POST', path: '/p?q=1', body: 'payload', headers: { 'x-original': 'o' } });
  assert.equal(reply.text, 'ok');
  assert.deepEqual(seen, {
    isRequest: true,
    copyIsNode: true,
    copy: { method: 'POST', url: `http://127.0.0.1:${local.port}/p?q=1`, added: '1', body: 'payload' },
    tagged: { tag: 'mine', method: 'PUT', isTagged: true, isRequest: true },
    plainIsNotTagged: false,
  });
});

test('the light Response: instanceof for light and Node\'s, a subclass of Response is sent, Response.error() still fails the handler', async (t) => {
  let upstream = 0;
  const target = await startServer({ fetch: () => { upstream++; return new Response('from upstream', { status: 202 }); } });
  t.after(() => target.close());
  const seen: Record<string, unknown> = {};
  class Teapot extends Response {
    constructor(body: string) {
      super(body, { status: 418, statusText: 'I am a teapot', headers: { 'x-teapot': 'yes' } });
    }
  }
  const local = await startServer({
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/teapot') return new Teapot('short and stout');
      if (path === '/error') return Response.error();
      const fetched = await fetch(`${target.url}/`);
      seen.fetchedIsResponse = fetched instanceof Response;
      seen.fetchedIsNode = fetched instanceof NodeResponse;
      const light = new Response('x');
      seen.lightIsResponse = light instanceof Response;
      seen.lightIsTeapot = light instanceof Teapot;
      seen.teapotIsResponse = new Teapot('') instanceof Response;
      return fetched;
    },
  });
  t.after(() => local.close());
  const proxied = await send(local.port);
  assert.equal(proxied.status, 202);
  assert.equal(proxied.text, 'from upstream');
  assert.equal(upstream, 1);
  assert.deepEqual(seen, { fetchedIsResponse: true, fetchedIsNode: true, lightIsResponse: true, lightIsTeapot: false, teapotIsResponse: true });
  const teapot = await send(local.port, { path: '/teapot' });
  assert.equal(teapot.status, 418);
  assert.equal(teapot.text, 'short and stout');
  assert.equal(teapot.headers['x-teapot'], 'yes');
  assert.equal(teapot.headers['content-type'], 'text/plain;charset=UTF-8');
  const error = await send(local.port, { path: '/error' });
  assert.equal(error.status, 500);
  assert.match(error.json().errorMessage, /network error/);
});

test('a light Response reads like Node\'s: body, text(), clone(), headers, and the statuses Fetch refuses', async () => {
  // Installed by the servers above: the global is the light class now.
  assert.notEqual(globalThis.Response, NodeResponse);
  const response = new Response('{"a":1}', { status: 201, statusText: 'Made', headers: { 'X-Up': 'A' } });
  assert.equal(response.status, 201);
  assert.equal(response.ok, true);
  assert.equal(response.statusText, 'Made');
  assert.equal(response.headers.get('x-up'), 'A');
  assert.equal(response.headers.get('content-type'), 'text/plain;charset=UTF-8');
  const copy = response.clone();
  assert.deepEqual(await response.json(), { a: 1 });
  assert.equal(response.bodyUsed, true);
  await assert.rejects(response.text(), TypeError);
  assert.equal(await copy.text(), '{"a":1}');
  assert.equal(new Response(new Uint8Array([104, 105])).headers.get('content-type'), null);
  assert.equal(await new Response(new Uint8Array([104, 105]).buffer).text(), 'hi');
  assert.equal(new Response(null).body, null);
  assert.equal(await new Response(new URLSearchParams({ a: 'b c' })).text(), 'a=b+c');
  assert.equal(new Response(new URLSearchParams({ a: 'b' })).headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
  assert.throws(() => new Response('x', { status: 204 }), TypeError);
  assert.throws(() => new Response('x', { status: 199 }), RangeError);
  assert.throws(() => new Response('x', { status: 600 }), RangeError);
  assert.throws(() => new Response('x', { statusText: 'bad\nline' }), TypeError);
  assert.throws(() => Response.redirect('http://localhost/', 200), RangeError);
  assert.throws(() => Response.json(undefined), TypeError);
  assert.equal(Response.json({ a: 1 }, { headers: { 'content-type': 'application/vnd+json' } }).headers.get('content-type'), 'application/vnd+json');
});

test('a body read twice fails as Fetch says; clone() before the read gives both the body; a GET has none to use up', async (t) => {
  const outcomes: string[] = [];
  const local = await startServer({
    fetch: async (request) => {
      if (request.method === 'GET') {
        // No body at all: reading it gives '' and leaves it unused; Node's Request is still built.
        const text = await request.text();
        return new Response(`${JSON.stringify(text)} ${request.bodyUsed} ${new Request(request).method} ${request.body}`);
      }
      if (new URL(request.url).pathname === '/clone') {
        const copy = request.clone();
        return new Response(`${await request.text()}|${await copy.text()}`);
      }
      const first = await request.text();
      outcomes.push(`first ${first}, used ${request.bodyUsed}`);
      await request.text().catch((error: Error) => outcomes.push(`again ${error.name}`));
      try {
        request.clone();
      } catch (error) {
        outcomes.push(`clone ${(error as Error).name}`);
      }
      return new Response('ok');
    },
  });
  t.after(() => local.close());
  assert.equal((await send(local.port, { method: 'POST', body: 'once' })).text, 'ok');
  assert.deepEqual(outcomes, ['first once, used true', 'again TypeError', 'clone TypeError']);
  assert.equal((await send(local.port, { method: 'POST', path: '/clone', body: 'twice' })).text, 'twice|twice');
  assert.equal((await send(local.port)).text, '"" false GET null');
});

test('request.signal read after the client left is already aborted, with the reason it left for', async (t) => {
  let release!: () => void;
  const clientGone = new Promise<void>((resolve) => { release = resolve; });
  let reported!: (value: string) => void;
  const report = new Promise<string>((resolve) => { reported = resolve; });
  const local = await startServer({
    fetch: async (request) => {
      await clientGone;
      const { signal } = request;
      reported(`${signal.aborted} ${(signal.reason as DOMException).name}: ${(signal.reason as DOMException).message}`);
      return new Response('too late');
    },
  });
  t.after(() => local.close());
  // Runs after the runtime's listener has called the handler: the client then leaves, and the
  // handler goes on once the server has seen the response close.
  local.server.once('request', (_req, res) => {
    res.once('close', release);
    client.destroy();
  });
  const client = httpRequest({ host: '127.0.0.1', port: local.port, path: '/', agent: false });
  client.on('error', () => {});
  client.end();
  assert.equal(await report, 'true AbortError: The client went away');
});

test('headers as a pair list: set-cookie one line each, other repeats joined; content-length and hop-by-hop dropped', async (t) => {
  const local = await startServer({
    fetch: () => new Response('body', {
      headers: [['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-Rep', '1'], ['x-rep', '2'], ['Content-Length', '999'], ['Keep-Alive', 'timeout=99'], ['Upgrade', 'h2c'], ['Content-Type', 'text/x']],
    }),
  });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(reply.headers['x-rep'], '1, 2');
  assert.equal(reply.headers['content-length'], '4');
  assert.equal(reply.headers['keep-alive'], undefined);
  assert.equal(reply.headers.upgrade, undefined);
  assert.equal(reply.headers['content-type'], 'text/x');
  assert.equal(reply.text, 'body');
});

test('request.url is the URL Node\'s Request gives: dot segments, upper-case and default-port hosts, odd characters', async (t) => {
  const urls: string[] = [];
  const local = await startServer({ fetch: (request) => { urls.push(request.url); return new Response('ok'); } });
  t.after(() => local.close());
  const cases: [string, string][] = [
    ['/a/../b?x=1', 'localhost:9000'],
    ['/%2e%2E/c', 'localhost:9000'],
    ['/plain?q=1&r=2', 'Example.COM'],
    ['/p', 'example.com:80'],
    ['/q?x=\'y\'', 'h:8080'],
    ['/r|s^t', '0x7f.1'],
    ['/.well-known/x', '[::1]:9000'],
  ];
  for (const [target, host] of cases) {
    const raw = await sendRaw(local.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 200/, `${host}${target}`);
  }
  assert.deepEqual(urls, cases.map(([target, host]) => new NodeRequest(`http://${host}${target}`).url));
});

