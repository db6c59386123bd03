/**
 * FC's request-path limit: the request target as sent (path, `?` and query string) at most 4096
 * bytes, in FC 2.0 and in `fc3` alike. Over it: 400 `InvalidArgument`, and no handler runs.
 * Requests go out on raw TCP so the target is exactly the spec's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type LocalServer } from './helpers/local-server.js';
import type { Handlers, Options } from '../lib/index.js';
import { exchange, rawRequest, type HeaderList, type RawReply } from './helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------


/** A request target of exactly `length` bytes: `/` and `a`s, or with `query`, `/q?` and `x`s. */
function targetOf(length: number, query = false): string {
  const target = query ? '/q?' + 'x'.repeat(length - 3) : '/' + 'a'.repeat(length - 1);
  assert.equal(target.length, length);
  return target;
}

interface Counted {
  local: LocalServer;
  calls(): number;
  urls: string[];
}

/** A server whose HTTP and event functions count their calls (the HTTP function records req.url). */
async function countingServer(options: Options, t: { after(fn: () => unknown): void }): Promise<Counted> {
  let calls = 0;
  const urls: string[] = [];
  const handlers: Handlers = {
    http: (req, res) => { calls++; urls.push(req.url ?? ''); res.end('ok'); },
    invoke: () => { calls++; return 'ok'; },
  };
  const local = await startServer(handlers, options);
  t.after(() => local.close());
  return { local, calls: () => calls, urls };
}

function get(port: number, target: string): Promise<RawReply> {
  return exchange(port, rawRequest('GET', target, [['Host', '127.0.0.1']]));
}

function assertRefused(reply: RawReply, limit: number, size: number): void {
  assert.equal(reply.status, 400, reply.raw.slice(0, 300));
  assert.match(reply.header('content-type') ?? '', /^application\/json/);
  const body = reply.json();
  assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'ErrorMessage']);
  assert.equal(body.ErrorCode, 'InvalidArgument');
  assert.match(body.ErrorMessage, /path/i);
  assert.ok(body.ErrorMessage.includes(String(limit)), `message names the limit ${limit}: ${body.ErrorMessage}`);
  assert.ok(body.ErrorMessage.includes(String(size)), `message names the size ${size}: ${body.ErrorMessage}`);
}

// ---------------------------------------------------------------------------------------------
// FC 2.0 default: 4096 bytes.

test('default limit: a 4096-byte request target reaches the handler whole', async (t) => {
  const { local, calls, urls } = await countingServer({}, t);
  const target = targetOf(4096);
  const reply = await get(local.port, target);
  assert.equal(reply.status, 200, reply.raw.slice(0, 300));
  assert.equal(calls(), 1);
  assert.equal(urls[0], target);
});

test('default limit: a 4097-byte request target gets 400 InvalidArgument naming the path, 4096 and 4097', async (t) => {
  const { local } = await countingServer({}, t);
  assertRefused(await get(local.port, targetOf(4097)), 4096, 4097);
});

test('default limit: the handler is never called for a 4097-byte target', async (t) => {
  const { local, calls } = await countingServer({}, t);
  await get(local.port, targetOf(4097));
  assert.equal(calls(), 0);
});

test('the query string counts: "/q?" + query of 4097 bytes in all is refused (the path alone is 2 bytes)', async (t) => {
  const { local, calls } = await countingServer({}, t);
  assertRefused(await get(local.port, targetOf(4097, true)), 4096, 4097);
  assert.equal(calls(), 0);
});

test('the query string counts: "/q?" + query of exactly 4096 bytes passes, query intact', async (t) => {
  const { local, calls, urls } = await countingServer({}, t);
  const target = targetOf(4096, true);
  assert.equal((await get(local.port, target)).status, 200);
  assert.equal(calls(), 1);
  assert.equal(urls[0], target);
});

test('the "?" itself counts: a 4095-byte path plus a bare "?" (4096) passes, plus "?x" (4097) is refused', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const path = targetOf(4095);
  assert.equal((await get(local.port, path + '?')).status, 200);
  assertRefused(await get(local.port, path + '?x'), 4096, 4097);
  assert.equal(calls(), 1);
});

test('an event invocation with a 4097-byte target (POST /invoke?...) is refused, invoke not called', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const target = '/invoke?' + 'x'.repeat(4097 - '/invoke?'.length);
  const headers: HeaderList = [['Host', '127.0.0.1'], ['x-fc-control-path', '/invoke'], ['Content-Length', '2']];
  const reply = await exchange(local.port, rawRequest('POST', target, headers, '{}'));
  assertRefused(reply, 4096, 4097);
  assert.equal(calls(), 0);
});

test('an event invocation with a 4096-byte target is served', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const target = '/invoke?' + 'x'.repeat(4096 - '/invoke?'.length);
  const headers: HeaderList = [['Host', '127.0.0.1'], ['x-fc-control-path', '/invoke'], ['Content-Length', '2']];
  const reply = await exchange(local.port, rawRequest('POST', target, headers, '{}'));
  assert.equal(reply.status, 200, reply.raw.slice(0, 300));
  assert.equal(calls(), 1);
});

// ---------------------------------------------------------------------------------------------
// The fc3 preset keeps 4096; overrides change it.

test("limits: 'fc3': a 4096-byte target passes", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  assert.equal((await get(local.port, targetOf(4096))).status, 200);
  assert.equal(calls(), 1);
});

test("limits: 'fc3': a 4097-byte target is still refused (FC 3.0 keeps 4 KB paths)", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  assertRefused(await get(local.port, targetOf(4097)), 4096, 4097);
  assert.equal(calls(), 0);
});

test('override path: 50: a 50-byte target passes', async (t) => {
  const { local, calls } = await countingServer({ limits: { path: 50 } }, t);
  assert.equal((await get(local.port, targetOf(50, true))).status, 200);
  assert.equal(calls(), 1);
});

test('override path: 50: a 51-byte target gets 400 naming 50 and 51, handler not called', async (t) => {
  const { local, calls } = await countingServer({ limits: { path: 50 } }, t);
  assertRefused(await get(local.port, targetOf(51, true)), 50, 51);
  assert.equal(calls(), 0);
});

test("limits: { preset: 'fc3', path: 50 }: the override applies (51 refused) and the preset's other limits stay", async (t) => {
  const { local, calls } = await countingServer({ limits: { preset: 'fc3', path: 50 } }, t);
  assertRefused(await get(local.port, targetOf(51)), 50, 51);
  // fc3's 8192-byte header limit is kept: 8000 bytes of headers with a short path pass.
  const headers: HeaderList = [['Host', '127.0.0.1'], ['x-pad', 'p'.repeat(8000)]];
  const reply = await exchange(local.port, rawRequest('GET', '/', headers));
  assert.equal(reply.status, 200, reply.raw.slice(0, 300));
  assert.equal(calls(), 1);
});

test('after a refused target the server keeps serving', async (t) => {
  const { local, calls } = await countingServer({ limits: { path: 50 } }, t);
  assertRefused(await get(local.port, targetOf(500)), 50, 500);
  assert.equal((await get(local.port, '/ok')).status, 200);
  assert.equal(calls(), 1);
});
