import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';
import { sendRaw } from './helpers/raw-client.js';

test('an idle keep-alive connection survives past 6 s (Node would drop it after 5 s)', async (t) => {
  const local = await startServer({ http: (req, res) => res.end(String(req.socket.remotePort)) });
  t.after(() => local.close());
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const first = await send(local.port, { agent });
  await new Promise((resolve) => setTimeout(resolve, 6500));
  const second = await send(local.port, { agent });
  assert.equal(second.text, first.text, 'the second request came on a new connection');
});

test('a client that never finishes its headers is cut off with 408 JSON after headersTimeoutMs', async (t) => {
  const local = await startServer({ http: (_req, res) => res.end('x') }, { headersTimeoutMs: 300 });
  t.after(() => local.close());
  const reply = await sendRaw(local.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 3000);
  assert.match(reply, /^HTTP\/1.1 408 /);
  assert.match(reply, /"ErrorCode":"InvalidArgument"/);
});

test('a slow upload that keeps moving is not cut by the headers timeout', async (t) => {
  const local = await startServer({
    invoke: (event) => `got ${event.length}`,
  }, { headersTimeoutMs: 200 });
  t.after(() => local.close());
  const reply = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: local.port, method: 'POST', path: '/invoke', headers: { 'content-length': '10' } }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    let sent = 0;
    const tick = setInterval(() => {
      req.write('x');
      if (++sent === 10) { clearInterval(tick); req.end(); }
    }, 80);
  });
  assert.equal(reply, 'got 10');
});

test('the server has no idle, request or keep-alive timeout that could cut an invocation', async (t) => {
  const local = await startServer({ invoke: () => 'x' });
  t.after(() => local.close());
  assert.equal(local.server.requestTimeout, 0);
  assert.equal(local.server.keepAliveTimeout, 0);
  assert.equal(local.server.timeout, 0);
});
