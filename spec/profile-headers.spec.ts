/**
 * The header rules per profile, both directions, through the runtime on real sockets. FC 2.0
 * (default) hides `accept-encoding`, `connection`, `keep-alive`, `proxy-authorization`, `te`,
 * `trailer` from an HTTP function and strips `content-encoding`, `proxy-authenticate`, `trailer`,
 * `upgrade` (and more) from its response; FC 3.0 hides only `connection` and `keep-alive` and
 * strips only `connection`, `content-length`, `date`, `keep-alive`, `server` (and `x-fc-*` but
 * `x-fc-status` in both). The framing (`content-length`, `transfer-encoding`) is the runtime's in both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startServer } from './helpers/local-server.js';
import type { Handlers, Options } from '../lib/index.js';
import { exchange, rawRequest, type HeaderList, type RawReply } from './helpers/raw-client.js';

/** Request headers that differ between the profiles, and two hidden in both. */
const ASKED: HeaderList = [
  ['Host', '127.0.0.1'],
  ['Accept-Encoding', 'gzip, br'],
  ['TE', 'trailers'],
  ['Proxy-Authorization', 'Basic eA=='],
  ['Trailer', 'x-after'],
  ['Keep-Alive', 'timeout=5'],
  ['Connection', 'keep-alive'],
  ['X-Kept', 'yes'],
];

/** What the handler saw: its `headers` and the names in `rawHeaders`, lower case. */
function echoHeaders(req: IncomingMessage, res: ServerResponse): void {
  const raw = req.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ headers: req.headers, raw }));
}

async function seen(options: Options, t: { after(fn: () => unknown): void }): Promise<{ headers: Record<string, string>; raw: string[] }> {
  const local = await startServer({ http: echoHeaders }, options);
  t.after(() => local.close());
  const reply = await exchange(local.port, rawRequest('GET', '/', ASKED));
  assert.equal(reply.status, 200, reply.raw);
  return reply.json();
}

test('fc2 (default): accept-encoding, te, proxy-authorization, trailer, keep-alive and connection are hidden', async (t) => {
  const { headers, raw } = await seen({}, t);
  for (const name of ['accept-encoding', 'te', 'proxy-authorization', 'trailer', 'keep-alive', 'connection']) {
    assert.equal(headers[name], undefined, name);
    assert.ok(!raw.includes(name), name);
  }
  assert.equal(headers['x-kept'], 'yes');
});

test("fc3: only connection and keep-alive are hidden; accept-encoding, te, proxy-authorization and trailer reach the app", async (t) => {
  const { headers, raw } = await seen({ profile: 'fc3' }, t);
  assert.equal(headers['accept-encoding'], 'gzip, br');
  assert.equal(headers.te, 'trailers');
  assert.equal(headers['proxy-authorization'], 'Basic eA==');
  assert.equal(headers.trailer, 'x-after');
  for (const name of ['accept-encoding', 'te', 'proxy-authorization', 'trailer']) assert.ok(raw.includes(name), name);
  for (const name of ['keep-alive', 'connection']) {
    assert.equal(headers[name], undefined, name);
    assert.ok(!raw.includes(name), name);
  }
});

test("{ profile: 'fc2', limits: 'fc3' }: FC 2.0's hidden list with FC 3.0's sizes", async (t) => {
  const { headers } = await seen({ profile: 'fc2', limits: 'fc3' }, t);
  assert.equal(headers['accept-encoding'], undefined);
  assert.equal(headers.te, undefined);
});

// ---------------------------------------------------------------------------------------------
// Responses: the same headers set three ways, Node style (setHeader, writeHead object) and Fetch.

/** Headers an app sets, with sentinel values; content-length lies on purpose. */
const SET: [string, string][] = [
  ['content-encoding', 'br'],
  ['proxy-authenticate', 'Basic realm=zz'],
  ['x-fc-other', 'zz-fc'],
  ['x-fc-status', '404'],
  ['server', 'zz-server'],
  ['date', 'zz-date'],
  ['content-length', '999'],
  ['x-app', 'zz-app'],
];
const BODY = 'response-body';

const RESPONDERS: Record<string, Handlers> = {
  setHeader: { http: (_req, res) => { for (const [name, value] of SET) res.setHeader(name, value); res.end(BODY); } },
  'writeHead(object)': { http: (_req, res) => { res.writeHead(200, Object.fromEntries(SET)); res.end(BODY); } },
  fetch: { fetch: () => new Response(BODY, { headers: SET.filter(([name]) => name !== 'content-length') }) },
};

async function answer(handlers: Handlers, options: Options, t: { after(fn: () => unknown): void }): Promise<RawReply> {
  const local = await startServer(handlers, options);
  t.after(() => local.close());
  const reply = await exchange(local.port, rawRequest('GET', '/', [['Host', '127.0.0.1'], ['Connection', 'close']]));
  assert.equal(reply.body, BODY, reply.raw);
  return reply;
}

for (const [way, handlers] of Object.entries(RESPONDERS)) {
  test(`fc2 (default), ${way}: content-encoding and proxy-authenticate are stripped, with x-fc-*, server and date`, async (t) => {
    const reply = await answer(handlers, {}, t);
    assert.equal(reply.header('content-encoding'), undefined);
    assert.equal(reply.header('proxy-authenticate'), undefined);
    assert.equal(reply.header('x-fc-other'), undefined);
    assert.equal(reply.header('server'), undefined);
    assert.notEqual(reply.header('date'), 'zz-date');
    assert.equal(reply.header('x-fc-status'), '404');
    assert.equal(reply.header('x-app'), 'zz-app');
    assert.equal(reply.header('content-length'), String(BODY.length));
  });

  test(`fc3, ${way}: content-encoding and proxy-authenticate go out; x-fc-* but x-fc-status, server and date do not; the framing stays the runtime's`, async (t) => {
    const reply = await answer(handlers, { profile: 'fc3' }, t);
    assert.equal(reply.header('content-encoding'), 'br');
    assert.equal(reply.header('proxy-authenticate'), 'Basic realm=zz');
    assert.equal(reply.header('x-fc-other'), undefined);
    assert.equal(reply.header('server'), undefined);
    assert.notEqual(reply.header('date'), 'zz-date');
    assert.equal(reply.header('x-fc-status'), '404');
    assert.equal(reply.header('x-app'), 'zz-app');
    assert.equal(reply.header('content-length'), String(BODY.length));
  });
}

test('fc3: a streamed body whose app set transfer-encoding and content-length is still chunked by the runtime', async (t) => {
  const local = await startServer({
    http: (_req, res) => {
      res.setHeader('transfer-encoding', 'zz-te');
      res.setHeader('content-length', '5');
      res.write('part1-');
      res.end('part2');
    },
  }, { profile: 'fc3' });
  t.after(() => local.close());
  const reply = await exchange(local.port, rawRequest('GET', '/', [['Host', '127.0.0.1'], ['Connection', 'close']]));
  assert.equal(reply.header('transfer-encoding'), 'chunked');
  assert.equal(reply.header('content-length'), undefined);
  assert.equal(reply.body, 'part1-part2');
});
