/**
 * FC's response-header rules. Headers a function cannot set (every `x-fc-*` but `x-fc-status`,
 * `connection`, `content-length`, `content-encoding`, `date`, `keep-alive`, `proxy-authenticate`,
 * `server`, `trailer`, `transfer-encoding`, `upgrade`) are stripped, however they were set, with a
 * warning once per name (none for `content-length` and `transfer-encoding`, which the framing
 * writes again with their true values: an Express `res.send` logs nothing). What is left, names and values summed, is at most 4096 bytes (8192 in
 * `fc3`); over it the client gets 502 `BadResponse` instead of the function's response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { OutgoingHttpHeader, ServerResponse } from 'node:http';
import { spawnServer } from './helpers/child-server.js';
import { startServer, type LocalServer } from './helpers/local-server.js';
import { FIXTURES } from './helpers/paths.js';
import type { Options } from '../lib/index.js';
import { getRuntime } from '../lib/server.js';
import { shutdown } from '../lib/runtime/shutdown.js';
import { exchange, rawRequest, type RawReply } from './helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------
// An HTTP function that sets the headers a request asks for, the way the request asks.
//   GET /?via=<way>&h=<name>:<value>&h=...&status=<n>&body=<text>
// (a value "*<n>" stands for n bytes of "v").
// Repeated `h` of the same name make an array value (setHeader / writeHead object) or repeated
// entries (writeHead arrays).

const WAYS = ['setHeader', 'writeHead(object)', 'writeHead(reason, object)', 'writeHead(flat array)', 'writeHead(nested array)'] as const;
type Way = typeof WAYS[number] | 'setHeader+write';

function respondAsAsked(res: ServerResponse, url: URL): void {
  const way = url.searchParams.get('via') as Way;
  const status = Number(url.searchParams.get('status') ?? 200);
  const body = url.searchParams.get('body') ?? 'handler-body';
  const pairs = url.searchParams.getAll('h').map((spec) => {
    const colon = spec.indexOf(':');
    const value = spec.slice(colon + 1);
    // "*<n>": n bytes of "v", so a big value does not make the request target itself too long.
    return [spec.slice(0, colon), /^\*\d+$/.test(value) ? 'v'.repeat(Number(value.slice(1))) : value] as [string, string];
  });
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  const asObject: Record<string, OutgoingHttpHeader> = {};
  for (const [name, values] of grouped) asObject[name] = values.length === 1 ? values[0]! : values;
  switch (way) {
    case 'setHeader':
    case 'setHeader+write':
      res.statusCode = status;
      for (const [name, value] of Object.entries(asObject)) res.setHeader(name, value);
      if (way === 'setHeader+write') {
        res.write(body.slice(0, 3));
        res.end(body.slice(3));
      } else {
        res.end(body);
      }
      return;
    case 'writeHead(object)':
      res.writeHead(status, asObject);
      break;
    case 'writeHead(reason, object)':
      res.writeHead(status, 'Custom Reason', asObject);
      break;
    case 'writeHead(flat array)':
      res.writeHead(status, pairs.flat());
      break;
    case 'writeHead(nested array)':
      res.writeHead(status, pairs as unknown as OutgoingHttpHeader[]);
      break;
    default:
      throw new Error(`unknown way ${String(way)}`);
  }
  res.end(body);
}

interface Asking {
  local: LocalServer;
  calls(): number;
}

async function askingServer(options: Options, t: { after(fn: () => unknown): void }): Promise<Asking> {
  let calls = 0;
  const local = await startServer({
    http: (req, res) => {
      calls++;
      respondAsAsked(res, new URL(req.url ?? '/', 'http://localhost'));
    },
  }, options);
  t.after(() => local.close());
  return { local, calls: () => calls };
}

/** Asks for a response; `Connection: close` so even a response with broken framing ends. */
function ask(port: number, way: Way, headers: [string, string][], extra: Record<string, string> = {}): Promise<RawReply> {
  const query = new URLSearchParams({ via: way, ...extra });
  for (const [name, value] of headers) query.append('h', `${name}:${value}`);
  return exchange(port, rawRequest('GET', `/?${query}`, [['Host', '127.0.0.1'], ['Connection', 'close']]));
}

/** Values of the response header `name` (any case), one per line. */
function valuesOf(reply: RawReply, name: string): string[] {
  return reply.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

function headBlock(reply: RawReply): string {
  return reply.raw.slice(0, reply.raw.indexOf('\r\n\r\n'));
}

// ---------------------------------------------------------------------------------------------
// Stripping: one spec per forbidden name and way.

/** Each forbidden name with a value it would otherwise show on the wire. */
const FORBIDDEN: [string, string][] = [
  ['x-fc-request-id', 'zz-sentinel-request-id'],
  ['x-fc-control-path', 'zz-sentinel-control-path'],
  ['x-fc-anything-at-all', 'zz-sentinel-any'],
  ['X-FC-Function-Name', 'zz-sentinel-mixed-case'],
  ['connection', 'zz-sentinel-connection'],
  ['content-length', '987654'],
  ['content-encoding', 'zz-sentinel-encoding'],
  ['date', 'zz-sentinel-date'],
  ['keep-alive', 'timeout=987654'],
  ['proxy-authenticate', 'zz-sentinel-proxy'],
  ['server', 'zz-sentinel-server'],
  ['Server', 'zz-sentinel-server-capitalised'],
  ['trailer', 'zz-sentinel-trailer'],
  ['transfer-encoding', 'zz-sentinel-te'],
  ['upgrade', 'zz-sentinel-upgrade'],
];

for (const way of WAYS) {
  for (const [name, value] of FORBIDDEN) {
    test(`${way}: "${name}" set by the function is stripped from the response`, async (t) => {
      const { local } = await askingServer({}, t);
      const reply = await ask(local.port, way, [[name, value]]);
      assert.ok(!valuesOf(reply, name).includes(value), `"${name}: ${value}" reached the client:\n${headBlock(reply)}`);
    });
  }

  test(`${way}: x-fc-status is kept`, async (t) => {
    const { local } = await askingServer({}, t);
    const reply = await ask(local.port, way, [['x-fc-status', '404']]);
    assert.deepEqual(valuesOf(reply, 'x-fc-status'), ['404']);
  });

  test(`${way}: content-disposition is kept`, async (t) => {
    const { local } = await askingServer({}, t);
    const reply = await ask(local.port, way, [['content-disposition', 'attachment; filename="report.csv"']]);
    assert.deepEqual(valuesOf(reply, 'content-disposition'), ['attachment; filename="report.csv"']);
  });

  test(`${way}: an ordinary header is kept (control: the spec sees what the function sets)`, async (t) => {
    const { local } = await askingServer({}, t);
    const reply = await ask(local.port, way, [['x-custom', 'kept-value']]);
    assert.deepEqual(valuesOf(reply, 'x-custom'), ['kept-value']);
  });

  test(`${way}: two set-cookie values stay two header lines`, async (t) => {
    const { local } = await askingServer({}, t);
    const reply = await ask(local.port, way, [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; HttpOnly']]);
    assert.deepEqual(valuesOf(reply, 'set-cookie'), ['a=1; Path=/', 'b=2; HttpOnly']);
  });

  test(`${way}: with every forbidden header set at once the response is still whole and correct`, async (t) => {
    const { local } = await askingServer({}, t);
    const reply = await ask(local.port, way, [...FORBIDDEN.filter(([name]) => name !== 'Server'), ['x-custom', 'kept']], { status: '201' });
    assert.equal(reply.status, 201);
    assert.equal(reply.body, 'handler-body');
    assert.deepEqual(valuesOf(reply, 'x-custom'), ['kept']);
    for (const [name, value] of FORBIDDEN) assert.ok(!valuesOf(reply, name).includes(value), `${name} leaked`);
  });
}

test('a stripped content-length does not break framing: the body arrives whole over keep-alive', async (t) => {
  const { local } = await askingServer({}, t);
  const query = new URLSearchParams({ via: 'setHeader', body: 'twelve bytes' });
  query.append('h', 'content-length:3');
  const request = rawRequest('GET', `/?${query}`, [['Host', '127.0.0.1']]);
  // Two requests on one connection: a wrong content-length would garble the second response.
  const both = await new Promise<string>((resolve, reject) => {
    const socket = connect(local.port, '127.0.0.1');
    let text = '';
    socket.on('connect', () => socket.write(Buffer.concat([request, request])));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.split('twelve bytes').length === 3) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    setTimeout(() => { socket.destroy(); resolve(text); }, 3000).unref();
  });
  assert.equal(both.split('HTTP/1.1 200').length, 3, both);
});

// ---------------------------------------------------------------------------------------------
// Warned once per name, through the runtime's logger.

test('the runtime warns once per stripped header name, naming it, even when two requests set it', async (t) => {
  const child = await spawnServer(join(FIXTURES, 'limits-strip.mjs'), ['--no-markers']);
  t.after(async () => {
    child.kill();
    await child.exited;
  });
  for (let i = 1; i <= 2; i++) {
    const reply = await exchange(child.port, rawRequest('GET', '/', [['Host', '127.0.0.1']]));
    assert.equal(reply.status, 200);
    // The fixture prints this after its response: every runtime line for the request is in by then.
    await child.waitForOutput(new RegExp(`fixture handled ${i}`));
  }
  const warnLines = child.stdout().split('\n').filter((line) => line.includes('[warn]'));
  for (const name of ['server', 'x-fc-request-id', 'date']) {
    const naming = warnLines.filter((line) => new RegExp(`(^|[^\\w-])${name.replace(/-/g, '\\-')}([^\\w-]|$)`).test(line));
    assert.equal(naming.length, 1, `warn lines naming ${name}:\n${warnLines.join('\n')}`);
  }
});

test('an Express res.send prints no warning: content-length and transfer-encoding are framing, replaced, not warned about', async (t) => {
  const child = await spawnServer(join(FIXTURES, 'express-send.cjs'), ['--no-markers']);
  t.after(async () => {
    child.kill();
    await child.exited;
  });
  const expected: [string, string][] = [
    ['/send', 'hello from express'],
    ['/send', 'hello from express'],
    ['/chunked', 'streamed by hand'],
    ['/server', 'with a server header'],
  ];
  for (const [i, [path, body]] of expected.entries()) {
    const reply = await exchange(child.port, rawRequest('GET', path, [['Host', '127.0.0.1']]));
    assert.equal(reply.status, 200);
    assert.equal(reply.body, body);
    if (path === '/send') assert.equal(reply.header('content-length'), String(Buffer.byteLength(body)));
    await child.waitForOutput(new RegExp(`fixture handled ${i + 1}\\n`));
  }
  const warnLines = child.stdout().split('\n').filter((line) => line.includes('[warn]'));
  assert.deepEqual(warnLines.filter((line) => /content-length|transfer-encoding/i.test(line)), [], warnLines.join('\n'));
  // Control: the spec sees the runtime's warnings; a header the app may not set is still named, once.
  assert.equal(warnLines.length, 1, warnLines.join('\n'));
  assert.match(warnLines[0]!, /Response header "server" is set by the platform/);
});

// ---------------------------------------------------------------------------------------------
// The response-header limit.

/** content-type (22 bytes counted) plus x-big, `total` bytes in all. */
function headersOfSize(total: number): [string, string][] {
  const contentType: [string, string] = ['content-type', 'text/plain'];
  const counted = contentType[0].length + contentType[1].length;
  const big: [string, string] = ['x-big', `*${total - counted - 'x-big'.length}`];
  return [contentType, big];
}

function assertBadResponse(reply: RawReply, limit: number, size: number): void {
  assert.equal(reply.status, 502, headBlock(reply));
  assert.match(reply.header('content-type') ?? '', /^application\/json/);
  const body = reply.json();
  assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'ErrorMessage']);
  assert.equal(body.ErrorCode, 'BadResponse');
  assert.match(body.ErrorMessage, /response header/i);
  assert.ok(body.ErrorMessage.includes(String(limit)), `message names the limit ${limit}: ${body.ErrorMessage}`);
  assert.ok(body.ErrorMessage.includes(String(size)), `message names the size ${size}: ${body.ErrorMessage}`);
}

const LIMIT_WAYS: Way[] = ['setHeader', 'setHeader+write', 'writeHead(object)', 'writeHead(reason, object)', 'writeHead(flat array)', 'writeHead(nested array)'];

for (const way of LIMIT_WAYS) {
  test(`${way}, responseHeaders: 100: exactly 100 bytes of headers go out with the function's response`, async (t) => {
    const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
    const reply = await ask(local.port, way, headersOfSize(100), { status: '201' });
    assert.equal(reply.status, 201, headBlock(reply));
    assert.equal(reply.body, 'handler-body');
  });

  test(`${way}, responseHeaders: 100: 101 bytes get 502 BadResponse naming response headers, 100 and 101`, async (t) => {
    const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
    assertBadResponse(await ask(local.port, way, headersOfSize(101), { status: '201' }), 100, 101);
  });

  test(`${way}, responseHeaders: 100: over the limit, neither the function's body nor its headers reach the client`, async (t) => {
    const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
    const reply = await ask(local.port, way, headersOfSize(101));
    assert.ok(!reply.raw.includes('handler-body') && !reply.raw.includes('x-big'), reply.raw);
  });
}

test('stripped headers do not count: 100 bytes plus 2 KB of forbidden headers pass a 100-byte limit', async (t) => {
  const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
  const headers: [string, string][] = [
    ...headersOfSize(100),
    ['server', '*1000'],
    ['x-fc-request-id', '*500'],
    ['date', '*500'],
  ];
  const reply = await ask(local.port, 'setHeader', headers);
  assert.equal(reply.status, 200, headBlock(reply));
  assert.equal(reply.body, 'handler-body');
});

test('stripped headers do not count through writeHead(object) either', async (t) => {
  const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
  const reply = await ask(local.port, 'writeHead(object)', [...headersOfSize(100), ['x-fc-trace', '*2000'], ['upgrade', '*200']]);
  assert.equal(reply.status, 200, headBlock(reply));
});

test('each set-cookie line counts its name again: 2 x (10 + 40) = 100 bytes pass a 100-byte limit', async (t) => {
  const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
  const reply = await ask(local.port, 'setHeader', [['set-cookie', '*40'], ['set-cookie', '*40']]);
  assert.equal(reply.status, 200, headBlock(reply));
  assert.equal(valuesOf(reply, 'set-cookie').length, 2);
});

test('each set-cookie line counts its name again: 2 x (10 + 40) + 1 = 101 bytes get 502', async (t) => {
  const { local } = await askingServer({ limits: { responseHeaders: 100 } }, t);
  assertBadResponse(await ask(local.port, 'setHeader', [['set-cookie', '*40'], ['set-cookie', '*41']]), 100, 101);
});

test('default limit: exactly 4096 bytes of response headers go out', async (t) => {
  const { local } = await askingServer({}, t);
  const reply = await ask(local.port, 'setHeader', headersOfSize(4096));
  assert.equal(reply.status, 200, headBlock(reply).slice(0, 200));
  assert.equal(reply.body, 'handler-body');
});

test('default limit: 4097 bytes of response headers get 502 naming 4096 and 4097', async (t) => {
  const { local } = await askingServer({}, t);
  assertBadResponse(await ask(local.port, 'setHeader', headersOfSize(4097)), 4096, 4097);
});

test("limits: 'fc3': exactly 8192 bytes of response headers go out", async (t) => {
  const { local } = await askingServer({ limits: 'fc3' }, t);
  const reply = await ask(local.port, 'writeHead(object)', headersOfSize(8192));
  assert.equal(reply.status, 200, headBlock(reply).slice(0, 200));
  assert.equal(reply.body, 'handler-body');
});

test("limits: 'fc3': 8193 bytes of response headers get 502 naming 8192 and 8193", async (t) => {
  const { local } = await askingServer({ limits: 'fc3' }, t);
  assertBadResponse(await ask(local.port, 'writeHead(object)', headersOfSize(8193)), 8192, 8193);
});

test('FC_CONTAINER_LIMITS=fc3: 8192 bytes of response headers go out, 8193 get 502', async (t) => {
  const before = process.env.FC_CONTAINER_LIMITS;
  process.env.FC_CONTAINER_LIMITS = 'fc3';
  let asking: Asking;
  try {
    asking = await askingServer({}, t);
  } finally {
    if (before === undefined) delete process.env.FC_CONTAINER_LIMITS;
    else process.env.FC_CONTAINER_LIMITS = before;
  }
  assert.equal((await ask(asking.local.port, 'setHeader', headersOfSize(8192))).status, 200);
  assertBadResponse(await ask(asking.local.port, 'setHeader', headersOfSize(8193)), 8192, 8193);
});

test("limits: { preset: 'fc3', responseHeaders: 100 }: the override wins (101 bytes get 502)", async (t) => {
  const { local } = await askingServer({ limits: { preset: 'fc3', responseHeaders: 100 } }, t);
  assertBadResponse(await ask(local.port, 'setHeader', headersOfSize(101)), 100, 101);
});

test('after a 502 for oversize headers the server keeps serving on the same process', async (t) => {
  const { local, calls } = await askingServer({ limits: { responseHeaders: 100 } }, t);
  assertBadResponse(await ask(local.port, 'setHeader', headersOfSize(500)), 100, 500);
  const reply = await ask(local.port, 'setHeader', headersOfSize(50));
  assert.equal(reply.status, 200);
  assert.equal(calls(), 2);
});

// ---------------------------------------------------------------------------------------------
// writeHead(status, object) on a response with no header set yet is written straight from the
// object (headers.ts: filterHeaderObject); with headers set before, they are merged first.

async function respondingServer(t: { after(fn: () => unknown): void }, respond: (res: ServerResponse) => void): Promise<LocalServer> {
  const local = await startServer({ http: (_req, res) => respond(res) });
  t.after(() => local.close());
  return local;
}

function get(local: LocalServer): Promise<RawReply> {
  return exchange(local.port, rawRequest('GET', '/', [['Host', '127.0.0.1'], ['Connection', 'close']]));
}

test('headers set with setHeader before writeHead(object) are merged with it and stripped alike', async (t) => {
  const local = await respondingServer(t, (res) => {
    res.setHeader('x-early', '1');
    res.setHeader('server', 'handler-server');
    res.writeHead(200, { 'x-late': '2', 'content-encoding': 'handler-gzip', 'x-fc-trace': 'handler-trace' });
    res.end('ok');
  });
  const reply = await get(local);
  assert.equal(reply.status, 200);
  assert.deepEqual(valuesOf(reply, 'x-early'), ['1']);
  assert.deepEqual(valuesOf(reply, 'x-late'), ['2']);
  assert.doesNotMatch(headBlock(reply), /handler-server|handler-gzip|handler-trace/);
  assert.equal(reply.body, 'ok');
});

test('a forbidden name amid a writeHead object: the names before and after it stay, in order', async (t) => {
  const local = await respondingServer(t, (res) => {
    res.writeHead(200, { 'x-a': '1', 'date': 'handler-date', 'x-b': ['2', '3'], 'keep-alive': 'handler-keep', 'x-c': '4' });
    res.end('ok');
  });
  const reply = await get(local);
  assert.equal(reply.status, 200);
  const names = reply.headers.map(([name]) => name).filter((name) => name.startsWith('x-'));
  assert.deepEqual(names, ['x-a', 'x-b', 'x-b', 'x-c']);
  assert.doesNotMatch(headBlock(reply), /handler-date|handler-keep/);
});

test('an undefined value in a writeHead object is skipped, not an error', async (t) => {
  const local = await respondingServer(t, (res) => {
    res.writeHead(200, { 'x-missing': undefined, 'x-present': 'yes' });
    res.end('ok');
  });
  const reply = await get(local);
  assert.equal(reply.status, 200);
  assert.equal(reply.header('x-missing'), undefined);
  assert.equal(reply.header('x-present'), 'yes');
  assert.equal(reply.body, 'ok');
});

// ---------------------------------------------------------------------------------------------
// A stripped header leaves Node's own in its place (Node's removeHeader() would switch it off).

const HANDLER_DATE = 'Thu, 01 Jan 1970 00:00:00 GMT';

/** Node's own Date: an HTTP-date of now, not the handler's. */
function assertNodeDate(value: string | undefined, what: string): void {
  assert.ok(value !== undefined, `${what}: no Date header`);
  assert.notEqual(value, HANDLER_DATE, what);
  assert.ok(Math.abs(Date.parse(value) - Date.now()) < 60_000, `${what}: ${value}`);
}

test('a stripped Date is replaced by Node\'s own: on the function\'s response, its error, and the 502 for oversize headers', async (t) => {
  const local = await startServer({
    http: (req, res) => {
      res.setHeader('Date', HANDLER_DATE);
      if (req.url === '/throw') throw new Error('failed after setting Date');
      if (req.url === '/oversize') res.setHeader('x-big', 'v'.repeat(5000));
      res.end('ok');
    },
  });
  t.after(() => local.close());
  for (const path of ['/', '/throw', '/oversize']) {
    const reply = await exchange(local.port, rawRequest('GET', path, [['Host', '127.0.0.1']]));
    assert.equal(reply.status, path === '/' ? 200 : path === '/throw' ? 500 : 502, path);
    assertNodeDate(reply.header('date'), path);
  }
});

test('during the SIGTERM drain, a response whose Connection and Date were stripped still says connection: close', async (t) => {
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => { entered = resolve; });
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  const local = await startServer({
    http: async (req, res) => {
      entered();
      await released;
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('Date', HANDLER_DATE);
      res.end('drained');
    },
  });
  t.after(() => local.close());
  const replied = exchange(local.port, rawRequest('GET', '/', [['Host', '127.0.0.1']]));
  await inHandler;
  const stopped = shutdown(local.server, getRuntime(local.server)!, 'SIGTERM');
  release();
  const reply = await replied;
  assert.equal(reply.body, 'drained');
  assert.equal(reply.header('connection'), 'close');
  assertNodeDate(reply.header('date'), 'drain');
  assert.equal(await stopped, 0, 'every connection closed within the drain');
});

/** Writes `request` twice on one connection; resolves to what came back once the server has sent two responses or closed. */
function sendTwice(port: number, request: Buffer, marker: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('connect', () => socket.write(Buffer.concat([request, request])));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.split(marker).length === 3) {
        socket.destroy();
        resolve({ text, closed: false });
      }
    });
    socket.on('end', () => resolve({ text, closed: true }));
    socket.on('error', reject);
  });
}

test('a streamed body whose transfer-encoding and content-length were stripped is still chunked, over keep-alive', async (t) => {
  const local = await startServer({
    http: (req, res) => {
      res.setHeader('Transfer-Encoding', 'chunked');
      res.setHeader('Content-Length', '99');
      res.write('streamed ');
      res.end('body');
    },
  });
  t.after(() => local.close());
  const { text, closed } = await sendTwice(local.port, rawRequest('GET', '/', [['Host', '127.0.0.1']]), 'streamed ');
  assert.equal(closed, false, `the server closed the connection after:\n${text}`);
  assert.equal(text.split('HTTP/1.1 200').length, 3, text);
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n(?:[^\r]+\r\n)*Transfer-Encoding: chunked\r\n/);
});
