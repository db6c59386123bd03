/**
 * Every refusal is answered, and no response is left waiting: the runtime's 400/408 reach a
 * client that sends everything at once, whatever the handler does on its request's error, and a
 * response whose `end()` Node would reject is answered or closed, never left open. Real child
 * processes (`fc-container serve`) with FC's markers on, so the runtime's answers are held behind
 * the marker batch as in production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spawnServer, type ChildServer } from './helpers/child-server.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { exchange, parseReply, rawRequest, type RawReply } from './helpers/raw-client.js';

const ANSWERS = join(FIXTURES, 'answers.mjs');
const EXPRESS = join(FIXTURES, 'late-express.cjs');
const ANSWERS_FETCH = join(FIXTURES, 'answers-fetch.mjs');
const SEVEN_MIB = 7 * 1024 * 1024;

async function start(t: { after(fn: () => void): void }, module: string, args: string[] = []): Promise<ChildServer> {
  const server = await spawnServer(module, args);
  t.after(() => server.kill('SIGKILL'));
  return server;
}

function chunkedUpload(path: string, size: number): Buffer {
  return Buffer.concat([
    Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${size.toString(16)}\r\n`),
    Buffer.alloc(size, 0x62),
    Buffer.from('\r\n0\r\n\r\n'),
  ]);
}

test('a chunked 7 MiB upload written at once to a handler that reads it: 30 of 30 get the 400, not a bare close', async (t) => {
  const server = await start(t, ANSWERS);
  const request = chunkedUpload('/read', SEVEN_MIB);
  for (let i = 0; i < 30; i++) {
    const reply = await exchange(server.port, request);
    assert.equal(reply.status, 400, `try ${i}`);
    assert.equal(reply.json().ErrorCode, 'InvalidArgument');
  }
  assert.equal((await send(server.port, { path: '/ok' })).text, 'ok');
});

test('the same upload to a Fetch-style function that reads it: 20 of 20 get the 400', async (t) => {
  const server = await start(t, ANSWERS_FETCH);
  const request = chunkedUpload('/', SEVEN_MIB);
  for (let i = 0; i < 20; i++) {
    const reply = await exchange(server.port, request);
    assert.equal(reply.status, 400, `try ${i}`);
    assert.equal(reply.json().ErrorCode, 'InvalidArgument');
  }
});

test('Expect: 100-continue over the limit with the body sent at once: 20 of 20 get the 400', async (t) => {
  const server = await start(t, ANSWERS);
  const head = `POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: ${SEVEN_MIB}\r\nExpect: 100-continue\r\n\r\n`;
  const request = Buffer.concat([Buffer.from(head), Buffer.alloc(SEVEN_MIB, 0x63)]);
  for (let i = 0; i < 20; i++) {
    const reply = await exchange(server.port, request);
    assert.equal(reply.status, 400, `try ${i}`);
    assert.equal(reply.header('connection'), 'close');
  }
});

test('Expect: 100-continue over the limit, the client waiting: the 400, then the connection ends', { timeout: 5_000 }, async (t) => {
  const server = await start(t, ANSWERS);
  const socket = connect(server.port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.write(`POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: ${SEVEN_MIB}\r\nExpect: 100-continue\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => { buf = Buffer.concat([buf, chunk]); });
  await new Promise((resolve) => socket.once('end', resolve));
  assert.equal(parseReply(buf, true)?.status, 400);
});

/** Sends headers and part of a body, then nothing: resolves to the answer once the connection ends. */
function stall(port: number, head: string): Promise<RawReply | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: Buffer) => { buf = Buffer.concat([buf, chunk]); });
    socket.on('error', () => {});
    socket.on('close', () => resolve(parseReply(buf, true)));
  });
}

test('a stalled body whose handler destroys the request on error: 20 of 20 get the 408 (content-length and chunked)', async (t) => {
  const server = await start(t, ANSWERS, ['--body-timeout', '200']);
  const heads = Array.from({ length: 20 }, (_, i) => (i % 2 === 0
    ? 'POST /destroy-on-error HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf'
    : 'POST /destroy-on-error HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nhalf\r\n'));
  const replies = await Promise.all(heads.map((head) => stall(server.port, head)));
  for (const [i, reply] of replies.entries()) {
    assert.equal(reply?.status, 408, `try ${i}`);
    assert.equal(reply.json().ErrorCode, 'InvalidArgument');
  }
});

for (const [path, errorType] of [
  ['/end-number', 'TypeError'],
  ['/end-bogus-encoding', 'TypeError'],
  ['/end-bad-status', 'RangeError'],
] as const) {
  test(`a Node-style handler whose end() Node rejects (${path}): 20 of 20 get a 500 naming ${errorType}`, async (t) => {
    const server = await start(t, ANSWERS);
    for (let i = 0; i < 20; i++) {
      const reply = await exchange(server.port, rawRequest('GET', path, [['Host', 'x']]), 5_000);
      assert.equal(reply.status, 500, `try ${i}`);
      assert.equal(reply.json().errorType, errorType);
    }
  });
}

test("Express's res.status(err.code).send() with err.code 'ENOENT': 20 of 20 get Express's own 500", async (t) => {
  const server = await start(t, EXPRESS);
  for (let i = 0; i < 20; i++) {
    const reply = await exchange(server.port, rawRequest('GET', '/status-from-error', [['Host', 'x']]), 5_000);
    assert.equal(reply.status, 500, `try ${i}`);
    assert.match(reply.body, /Invalid status code: ENOENT/);
  }
  assert.equal((await send(server.port, { path: '/ok' })).text, 'ok');
});
