/**
 * FC's request-header limit: the names and values of every header but the platform's `x-fc-*`,
 * summed, at most 4096 bytes (FC 2.0) or 8192 (`fc3`). Over it: 400 `InvalidArgument`, and the
 * handler never runs. Requests go out on raw TCP so every header byte is the spec's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnServer } from './helpers/child-server.js';
import { startServer, type LocalServer } from './helpers/local-server.js';
import { FIXTURES } from './helpers/paths.js';
import type { Handlers, Options } from '../lib/index.js';
import { exchange, rawRequest, type HeaderList, type RawReply } from './helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------

/** What the limit counts: name + value over every header but `x-fc-*`. Computed here, by the spec's rule. */
function countedBytes(headers: HeaderList): number {
  let total = 0;
  for (const [name, value] of headers) {
    if (!name.toLowerCase().startsWith('x-fc-')) total += name.length + value.length;
  }
  return total;
}

const BASE: HeaderList = [['Host', '127.0.0.1'], ['User-Agent', 'spec']];

/** BASE plus `x-pad` sized so the counted total is exactly `total` bytes. */
function headersOfSize(total: number, extra: HeaderList = []): HeaderList {
  const fixed = [...BASE, ...extra];
  const pad = total - countedBytes(fixed) - 'x-pad'.length;
  assert.ok(pad >= 0, `cannot build ${total} bytes of headers`);
  const headers: HeaderList = [...fixed, ['x-pad', 'p'.repeat(pad)]];
  assert.equal(countedBytes(headers), total);
  return headers;
}

interface Counted {
  local: LocalServer;
  calls(): number;
}

/** A server whose HTTP and event functions count their calls. */
async function countingServer(options: Options, t: { after(fn: () => unknown): void }): Promise<Counted> {
  let calls = 0;
  const handlers: Handlers = {
    http: (_req, res) => { calls++; res.end('ok'); },
    invoke: () => { calls++; return 'ok'; },
  };
  const local = await startServer(handlers, options);
  t.after(() => local.close());
  return { local, calls: () => calls };
}

function get(port: number, headers: HeaderList, target = '/'): Promise<RawReply> {
  return exchange(port, rawRequest('GET', target, headers));
}

function assertRefused(reply: RawReply, limit: number, size: number): void {
  assert.equal(reply.status, 400, reply.raw);
  assert.match(reply.header('content-type') ?? '', /^application\/json/);
  const body = reply.json();
  assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'ErrorMessage']);
  assert.equal(body.ErrorCode, 'InvalidArgument');
  assert.match(body.ErrorMessage, /header/i);
  assert.ok(body.ErrorMessage.includes(String(limit)), `message names the limit ${limit}: ${body.ErrorMessage}`);
  assert.ok(body.ErrorMessage.includes(String(size)), `message names the size ${size}: ${body.ErrorMessage}`);
}

// ---------------------------------------------------------------------------------------------
// FC 2.0 defaults: 4096 bytes.

test('default limit: request headers of exactly 4096 bytes reach the handler', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const reply = await get(local.port, headersOfSize(4096));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(reply.body, 'ok');
  assert.equal(calls(), 1);
});

test('default limit: request headers of 4097 bytes get 400 InvalidArgument naming headers, 4096 and 4097', async (t) => {
  const { local } = await countingServer({}, t);
  assertRefused(await get(local.port, headersOfSize(4097)), 4096, 4097);
});

test('default limit: the handler is never called for 4097 bytes of headers', async (t) => {
  const { local, calls } = await countingServer({}, t);
  await get(local.port, headersOfSize(4097));
  assert.equal(calls(), 0);
});

test('default limit: an event invocation (POST /invoke) with 4097 bytes of headers is refused too, invoke not called', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const headers = headersOfSize(4097, [['x-fc-control-path', '/invoke'], ['Content-Length', '0']]);
  const reply = await exchange(local.port, rawRequest('POST', '/invoke', headers));
  assertRefused(reply, 4096, 4097);
  assert.equal(calls(), 0);
});

test('the count is name + value of each header: 4096 bytes pass even when the header lines on the wire are far longer', async (t) => {
  const { local, calls } = await countingServer({}, t);
  // 200 one-byte-value headers: 200 * (": " + CRLF) = 800 bytes on the wire that the limit does not count.
  const many: HeaderList = [];
  for (let i = 0; i < 200; i++) many.push([`h${String(i).padStart(3, '0')}`, 'v']);
  const reply = await get(local.port, headersOfSize(4096, many));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(calls(), 1);
});

// ---------------------------------------------------------------------------------------------
// x-fc-* headers do not count.

test('x-fc-* headers do not count: 100 bytes of ordinary headers plus 6 KB of x-fc-* pass a 100-byte limit', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  const fc: HeaderList = [
    ['x-fc-security-token', 't'.repeat(4000)],
    ['X-FC-Access-Key-Secret', 's'.repeat(1000)],
    ['x-fc-request-id', 'r'.repeat(1000)],
  ];
  const reply = await get(local.port, headersOfSize(100, fc));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(calls(), 1);
});

test('x-fc-* exemption is by prefix only: a header named "x-fcx" still counts', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  const headers = headersOfSize(100);
  headers.push(['x-fcx', 'a']);
  assertRefused(await get(local.port, headers), 100, 106);
  assert.equal(calls(), 0);
});

// ---------------------------------------------------------------------------------------------
// Byte edges with an override (same rule, small numbers).

test('override requestHeaders: 100: exactly 100 bytes pass', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  const reply = await get(local.port, headersOfSize(100));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(calls(), 1);
});

test('override requestHeaders: 100: 101 bytes get 400 and the handler is not called', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  assertRefused(await get(local.port, headersOfSize(101)), 100, 101);
  assert.equal(calls(), 0);
});

/** `headersOfSize(total)` with `k` two-byte UTF-8 characters ("é") in the pad: same bytes, `k` fewer characters. */
function withTwoByteChars(total: number, k: number): HeaderList {
  const headers = headersOfSize(total);
  const [name, value] = headers.pop()!;
  headers.push([name, value.slice(2 * k) + Buffer.from('é'.repeat(k), 'utf8').toString('latin1')]);
  assert.equal(countedBytes(headers), total);
  return headers;
}

test('the count is in bytes, not characters: 100 bytes with 2-byte UTF-8 characters pass a 100-byte limit', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  assert.equal((await get(local.port, withTwoByteChars(100, 5))).status, 200);
  assert.equal(calls(), 1);
});

test('the count is in bytes, not characters: 101 bytes (96 characters) are refused by a 100-byte limit', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  assertRefused(await get(local.port, withTwoByteChars(101, 5)), 100, 101);
  assert.equal(calls(), 0);
});

test('the header limit is 0-safe: requestHeaders: 0 refuses any header at all', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 0 } }, t);
  assertRefused(await get(local.port, [['Host', 'h']]), 0, 5);
  assert.equal(calls(), 0);
});

// ---------------------------------------------------------------------------------------------
// The fc3 preset: 8192 bytes, chosen by option, environment or CLI flag.

test("limits: 'fc3': exactly 8192 bytes of headers pass", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  const reply = await get(local.port, headersOfSize(8192));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(calls(), 1);
});

test("limits: 'fc3': 8193 bytes of headers get 400 naming 8192 and 8193, handler not called", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  assertRefused(await get(local.port, headersOfSize(8193)), 8192, 8193);
  assert.equal(calls(), 0);
});

test("limits: { preset: 'fc3', body: 10 }: the preset's 8192-byte header limit stays", async (t) => {
  const { local } = await countingServer({ limits: { preset: 'fc3', body: 10 } }, t);
  assert.equal((await get(local.port, headersOfSize(8192))).status, 200);
  assertRefused(await get(local.port, headersOfSize(8193)), 8192, 8193);
});

test("limits: { preset: 'fc3', requestHeaders: 5000 }: the override wins over the preset", async (t) => {
  const { local } = await countingServer({ limits: { preset: 'fc3', requestHeaders: 5000 } }, t);
  assert.equal((await get(local.port, headersOfSize(5000))).status, 200);
  assertRefused(await get(local.port, headersOfSize(5001)), 5000, 5001);
});

/** Runs `fn` with FC_CONTAINER_LIMITS set, restoring the environment after. */
async function withLimitsEnv<T>(value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.FC_CONTAINER_LIMITS;
  process.env.FC_CONTAINER_LIMITS = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.FC_CONTAINER_LIMITS;
    else process.env.FC_CONTAINER_LIMITS = before;
  }
}

test('FC_CONTAINER_LIMITS=fc3: exactly 8192 bytes of headers pass', async (t) => {
  const { local, calls } = await withLimitsEnv('fc3', () => countingServer({}, t));
  const reply = await get(local.port, headersOfSize(8192));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(calls(), 1);
});

test('FC_CONTAINER_LIMITS=fc3: 8193 bytes of headers get 400, handler not called', async (t) => {
  const { local, calls } = await withLimitsEnv('fc3', () => countingServer({}, t));
  assertRefused(await get(local.port, headersOfSize(8193)), 8192, 8193);
  assert.equal(calls(), 0);
});

test('CLI --limits fc3: 8193 bytes of headers get 400 without calling the handler, 8192 bytes pass', async (t) => {
  const child = await spawnServer(join(FIXTURES, 'limits-echo.mjs'), ['--limits', 'fc3', '--no-markers']);
  t.after(async () => {
    child.kill();
    await child.exited;
  });
  assertRefused(await get(child.port, headersOfSize(8193)), 8192, 8193);
  const reply = await get(child.port, headersOfSize(8192));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(reply.body, 'calls=1');
});

test('CLI without --limits: the default 4096 applies (4097 bytes refused, 4096 pass)', async (t) => {
  const child = await spawnServer(join(FIXTURES, 'limits-echo.mjs'), ['--no-markers'], { FC_CONTAINER_LIMITS: '' });
  t.after(async () => {
    child.kill();
    await child.exited;
  });
  assertRefused(await get(child.port, headersOfSize(4097)), 4096, 4097);
  const reply = await get(child.port, headersOfSize(4096));
  assert.equal(reply.status, 200, reply.raw);
  assert.equal(reply.body, 'calls=1');
});

// ---------------------------------------------------------------------------------------------
// The connection survives and keeps serving.

test('after a refused request the server keeps serving on a new connection', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 100 } }, t);
  assertRefused(await get(local.port, headersOfSize(200)), 100, 200);
  assert.equal((await get(local.port, headersOfSize(50))).status, 200);
  assert.equal(calls(), 1);
});
