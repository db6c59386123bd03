/**
 * What Node's own HTTP parser rejects never reaches the runtime's request listener: a header
 * block past the server's `maxHeaderSize`, or malformed syntax. The runtime's `clientError`
 * handler answers those with FC's JSON 400 (`InvalidArgument`) instead of Node's bare 431/400 or
 * a reset, and the server keeps serving. `maxHeaderSize` is max(16 KiB, requestHeaders + path +
 * 8 KiB), so the runtime's own limits, not the parser, decide for every legitimate request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, type LocalServer } from './helpers/local-server.js';
import type { Options } from '../lib/index.js';
import { exchange, rawRequest, type HeaderList, type RawReply } from './helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------


interface Counted {
  local: LocalServer;
  calls(): number;
}

async function countingServer(options: Options, t: { after(fn: () => unknown): void }): Promise<Counted> {
  let calls = 0;
  const local = await startServer({ http: (_req, res) => { calls++; res.end('ok'); } }, options);
  t.after(() => local.close());
  return { local, calls: () => calls };
}

function goodRequest(port: number): Promise<RawReply> {
  return exchange(port, rawRequest('GET', '/after', [['Host', '127.0.0.1']]));
}

/** A request whose header block is about `bytes` long, all in one header `name`. */
function bigHeaderRequest(bytes: number, name = 'x-big'): Buffer {
  return rawRequest('GET', '/', [['Host', '127.0.0.1'], [name, 'b'.repeat(bytes)]]);
}

const MALFORMED: [string, string][] = [
  ['a header block past maxHeaderSize (20 KiB against 16 KiB)', bigHeaderRequest(20 * 1024).toString('latin1')],
  ['a 1 MiB header block', bigHeaderRequest(1024 * 1024).toString('latin1')],
  ['a garbage request line', 'GARBAGE\r\n\r\n'],
  ['a request line with a bad protocol name', 'GET / HTXP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
  ['both content-length and transfer-encoding', 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n'],
  ['a header name with a space', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n'],
];

for (const [what, wire] of MALFORMED) {
  test(`${what}: the reply is HTTP/1.1 400, not Node's bare 431/400 or a reset`, async (t) => {
    const { local } = await countingServer({}, t);
    const reply = await exchange(local.port, wire);
    assert.ok(reply.raw.startsWith('HTTP/1.1 400 '), reply.raw.slice(0, 200));
  });

  test(`${what}: the 400 is application/json`, async (t) => {
    const { local } = await countingServer({}, t);
    const reply = await exchange(local.port, wire);
    assert.match(reply.header('content-type') ?? '', /^application\/json/, reply.raw.slice(0, 200));
  });

  test(`${what}: the body is {"ErrorCode":"InvalidArgument","ErrorMessage":"..."}`, async (t) => {
    const { local } = await countingServer({}, t);
    const reply = await exchange(local.port, wire);
    const body = reply.json();
    assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'ErrorMessage']);
    assert.equal(body.ErrorCode, 'InvalidArgument');
    assert.equal(typeof body.ErrorMessage, 'string');
    assert.notEqual(body.ErrorMessage, '');
  });

  test(`${what}: the handler is not called and the server keeps serving afterwards`, async (t) => {
    const { local, calls } = await countingServer({}, t);
    await exchange(local.port, wire);
    assert.equal(calls(), 0);
    const after = await goodRequest(local.port);
    assert.equal(after.status, 200);
    assert.equal(after.body, 'ok');
    assert.equal(calls(), 1);
  });
}

test('an oversize header block gets a message about the headers', async (t) => {
  const { local } = await countingServer({}, t);
  const reply = await exchange(local.port, bigHeaderRequest(20 * 1024));
  assert.match(reply.json().ErrorMessage, /header/i);
});

test('a malformed request does not disturb a keep-alive connection already serving another client', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const socket = connect(local.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const request = rawRequest('GET', '/one', [['Host', '127.0.0.1']]);
  const read = (): Promise<string> => new Promise((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
  socket.write(request);
  assert.match(await read(), /^HTTP\/1\.1 200 /);
  await exchange(local.port, 'GARBAGE\r\n\r\n');
  socket.write(request);
  assert.match(await read(), /^HTTP\/1\.1 200 /);
  assert.equal(calls(), 2);
});

// ---------------------------------------------------------------------------------------------
// maxHeaderSize follows the limits: max(16 KiB, requestHeaders + path + 8 KiB).

/** x-fc-* headers do not count against the header limit; `bytes` of them, in 1 KiB headers. */
function fcHeaderBlock(bytes: number): HeaderList {
  const headers: HeaderList = [['Host', '127.0.0.1']];
  for (let i = 0; bytes > 0; i++) {
    const size = Math.min(1024, bytes);
    headers.push([`x-fc-extra-${i}`, 't'.repeat(size)]);
    bytes -= size;
  }
  return headers;
}

test("limits: 'fc3': an 18 KiB header block of x-fc-* headers (under the 20 KiB maxHeaderSize) reaches the handler", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  const reply = await exchange(local.port, rawRequest('GET', '/', fcHeaderBlock(18 * 1024)));
  assert.equal(reply.status, 200, reply.raw.slice(0, 200));
  assert.equal(calls(), 1);
});

test("limits: 'fc3': a 24 KiB header block is past the 20 KiB maxHeaderSize: JSON 400 from the clientError handler", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  const reply = await exchange(local.port, rawRequest('GET', '/', fcHeaderBlock(24 * 1024)));
  assert.equal(reply.status, 400);
  assert.equal(reply.json().ErrorCode, 'InvalidArgument');
  assert.equal(calls(), 0);
});

test('requestHeaders: 32768: 30 KiB of ordinary headers pass (maxHeaderSize grew to 44 KiB)', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 32 * 1024 } }, t);
  const reply = await exchange(local.port, bigHeaderRequest(30 * 1024));
  assert.equal(reply.status, 200, reply.raw.slice(0, 200));
  assert.equal(calls(), 1);
});

test('default limits: a 12 KiB block of x-fc-* headers passes (maxHeaderSize is 16 KiB, the 4 KiB limit skips x-fc-*)', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const reply = await exchange(local.port, rawRequest('GET', '/', fcHeaderBlock(12 * 1024)));
  assert.equal(reply.status, 200, reply.raw.slice(0, 200));
  assert.equal(calls(), 1);
});

test('requestHeaders: 1024, path: 1024: maxHeaderSize stays at least 16 KiB (a 12 KiB x-fc-* block passes)', async (t) => {
  const { local, calls } = await countingServer({ limits: { requestHeaders: 1024, path: 1024 } }, t);
  const reply = await exchange(local.port, rawRequest('GET', '/', fcHeaderBlock(12 * 1024)));
  assert.equal(reply.status, 200, reply.raw.slice(0, 200));
  assert.equal(calls(), 1);
});
