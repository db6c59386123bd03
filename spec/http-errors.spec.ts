import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';
import { sendRaw } from './helpers/raw-client.js';

test('a sync throw in a Node-style handler: 500 JSON, x-fc-status 404, no stack for the client', async (t) => {
  const local = await startServer({ http: () => { throw new RangeError('bad range'); } });
  t.after(() => local.close());
  const reply = await send(local.port, { path: '/x' });
  assert.equal(reply.status, 500);
  assert.equal(reply.headers['x-fc-status'], '404');
  assert.deepEqual(reply.json(), { errorMessage: 'bad range', errorType: 'RangeError' });
});

test('a rejected promise from a Node-style handler: 500 JSON; the server keeps serving', async (t) => {
  let calls = 0;
  const local = await startServer({
    http: async (_req, res) => {
      if (++calls === 1) throw 'thrown string';
      res.end('fine');
    },
  });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.equal(reply.status, 500);
  assert.deepEqual(reply.json(), { errorMessage: 'thrown string', errorType: 'string' });
  assert.equal((await send(local.port)).text, 'fine');
});

test('headers the handler set before throwing do not leak into the error response', async (t) => {
  const local = await startServer({
    http: (_req, res) => { res.setHeader('x-partial', 'yes'); res.setHeader('content-type', 'text/html'); throw new Error('late'); },
  });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.equal(reply.status, 500);
  assert.equal(reply.headers['x-partial'], undefined);
  assert.equal(reply.headers['content-type'], 'application/json');
});

test("an 'error' on req before the handler responded gives 500 JSON", async (t) => {
  const local = await startServer({ http: (req) => { req.emit('error', new Error('stream broke')); } });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.equal(reply.status, 500);
  assert.deepEqual(reply.json(), { errorMessage: 'stream broke', errorType: 'Error' });
});

test("an 'error' on res before the handler responded gives 500 JSON", async (t) => {
  const local = await startServer({ http: (_req, res) => { res.emit('error', new TypeError('res broke')); } });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.equal(reply.status, 500);
  assert.deepEqual(reply.json(), { errorMessage: 'res broke', errorType: 'TypeError' });
});

test('a failure after headers were sent closes the connection: the client sees a broken response', async (t) => {
  let calls = 0;
  const local = await startServer({
    http: async (_req, res) => {
      if (++calls > 1) { res.end('ok'); return; }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial ');
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('mid-stream');
    },
  });
  t.after(() => local.close());
  const outcome = await new Promise<string>((resolve) => {
    const req = request({ host: '127.0.0.1', port: local.port, path: '/' }, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(`clean end: ${body}`));
      res.on('error', (error) => resolve(`error: ${error.message} after "${body}"`));
      res.on('aborted', () => resolve(`aborted after "${body}"`));
    });
    req.on('error', (error) => resolve(`request error: ${error.message}`));
    req.end();
  });
  assert.doesNotMatch(outcome, /^clean end/);
  assert.match(outcome, /partial/);
  assert.equal((await send(local.port)).status, 200, 'the server lives on');
});

test('a Node-style handler that never responds is answered 504 at x-fc-function-timeout', async (t) => {
  const local = await startServer({ http: () => {} });
  t.after(() => local.close());
  const reply = await send(local.port, { headers: { 'x-fc-function-timeout': '0.2' } });
  assert.equal(reply.status, 504);
  assert.equal(reply.headers['x-fc-status'], '404');
  assert.deepEqual(reply.json(), { errorMessage: 'Function timed out after 0.2 seconds', errorType: 'FunctionTimeout' });
});

test('HEAD gets the headers and no body, as in plain Node', async (t) => {
  const local = await startServer({ http: (_req, res) => { res.setHeader('content-type', 'text/plain'); res.end('hello'); } });
  t.after(() => local.close());
  const raw = await sendRaw(local.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(raw, /^HTTP\/1.1 200 OK\r\n/);
  assert.match(raw, /content-type: text\/plain/i);
  assert.ok(raw.endsWith('\r\n\r\n'), 'no body after the headers');
});

test('Expect: 100-continue within the limit gets 100 Continue, then the response, for an HTTP function', async (t) => {
  const local = await startServer({
    http: (req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => res.end(`got ${body}`));
    },
  });
  t.after(() => local.close());
  const socket = connect(local.port, '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
    if (received.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !received.includes('got')) socket.write('abc');
  });
  socket.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n');
  await new Promise<void>((resolve) => {
    const check = setInterval(() => { if (received.includes('got abc')) { clearInterval(check); resolve(); } }, 5);
  });
  assert.match(received, /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK\r\n/);
});

test('an empty body reaches the handler as an immediate end', async (t) => {
  const local = await startServer({
    http: (req, res) => {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      req.on('end', () => res.end(`bytes=${bytes}`));
    },
  });
  t.after(() => local.close());
  assert.equal((await send(local.port, { method: 'POST', body: '' })).text, 'bytes=0');
  assert.equal((await send(local.port, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: '' })).text, 'bytes=0');
});
