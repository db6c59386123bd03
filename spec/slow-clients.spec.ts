import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { startServer } from './helpers/local-server.js';

/** Opens a raw connection, sends `head` and the body parts at the given gaps, resolves to what came back. */
function trickle(port: number, head: string, parts: string[], gapMs: number, waitMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (): void => { if (!done) { done = true; socket.destroy(); resolve(received); } };
    socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(head);
    let i = 0;
    const tick = setInterval(() => {
      if (i >= parts.length || socket.destroyed) { clearInterval(tick); return; }
      socket.write(parts[i++]!);
    }, gapMs);
    setTimeout(() => { clearInterval(tick); finish(); }, waitMs);
  });
}

test('an /invoke body that stalls half way gets 408 JSON and the connection closes; invoke never runs', async (t) => {
  let calls = 0;
  const local = await startServer({ invoke: () => { calls++; return 'x'; } }, { bodyTimeoutMs: 300 });
  t.after(() => local.close());
  const reply = await trickle(local.port, 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', [], 50, 3000);
  assert.match(reply, /^HTTP\/1.1 408 /);
  assert.match(reply, /"ErrorCode":"InvalidArgument","ErrorMessage":"Request body stalled: no bytes for 300 ms"/);
  assert.equal(calls, 0);
});

test('an HTTP body that stalls: 408 to the client, the error on req for the handler', async (t) => {
  let seen: unknown;
  const local = await startServer({
    http: (req) => { req.on('data', () => {}); req.on('error', (error) => { seen = error; }); },
  }, { bodyTimeoutMs: 300 });
  t.after(() => local.close());
  const reply = await trickle(local.port, 'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', [], 50, 3000);
  assert.match(reply, /^HTTP\/1.1 408 /);
  assert.equal((seen as { code?: string }).code, 'FC_BODY_TIMEOUT');
});

test('an upload that keeps moving is never cut, however long it takes', async (t) => {
  const local = await startServer({ invoke: (event) => `got ${event.length}` }, { bodyTimeoutMs: 400 });
  t.after(() => local.close());
  const parts = Array.from({ length: 12 }, () => 'x');
  const reply = await trickle(local.port, 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nConnection: close\r\n\r\n', parts, 150, 4000);
  assert.match(reply, /^HTTP\/1.1 200 /);
  assert.match(reply, /got 12$/);
});

test('a long invocation after the body arrived, and a handler that reads its body late, are never cut', async (t) => {
  const local = await startServer({
    invoke: async (event) => { await new Promise((r) => setTimeout(r, 1500)); return `slept, got ${event.length}`; },
    http: async (req, res) => {
      // Do not read for a while: a body larger than the stream's buffer holds the socket back.
      await new Promise((r) => setTimeout(r, 1500));
      let bytes = 0;
      for await (const chunk of req) bytes += (chunk as Buffer).length;
      res.end(`late read ${bytes}`);
    },
  }, { bodyTimeoutMs: 300 });
  t.after(() => local.close());
  const post = (path: string, size: number): Promise<string> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: local.port, method: 'POST', path, headers: { 'content-length': String(size) } }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(`${res.statusCode} ${text}`));
    });
    req.on('error', reject);
    req.end(Buffer.alloc(size, 1));
  });
  const [invoked, late] = await Promise.all([post('/invoke', 100), post('/upload', 4 * 1024 * 1024)]);
  assert.equal(invoked, '200 slept, got 100');
  assert.equal(late, `200 late read ${4 * 1024 * 1024}`);
});

test('headers sent one byte at a time are cut off after headersTimeoutMs with 408', async (t) => {
  const local = await startServer({ http: (_req, res) => res.end('x') }, { headersTimeoutMs: 500 });
  t.after(() => local.close());
  const head = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghijklmnopqrstuvwxyz\r\n\r\n';
  const reply = await trickle(local.port, head[0]!, head.slice(1).split(''), 100, 4000);
  assert.match(reply, /^HTTP\/1.1 408 /);
  assert.match(reply, /"ErrorCode":"InvalidArgument"/);
});

test('bodyTimeoutMs: 0 turns the guard off', async (t) => {
  const local = await startServer({ invoke: () => 'x' }, { bodyTimeoutMs: 0 });
  t.after(() => local.close());
  const reply = await trickle(local.port, 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', [], 50, 1500);
  assert.equal(reply, '');
});
