import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invoke } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';

test('the handler gets the exact event bytes as a Buffer', async (t) => {
  let seen: unknown;
  const local = await startServer({ invoke: (event) => { seen = event; return event; } });
  t.after(() => local.close());
  const bytes = Buffer.from([0, 1, 2, 255, 254, 0x0d, 0x0a, 0x80]);
  const reply = await invoke(local.port, bytes);
  assert.ok(Buffer.isBuffer(seen));
  assert.deepEqual(seen, bytes);
  assert.deepEqual(reply.body, bytes);
});

test('an empty event is an empty Buffer', async (t) => {
  let seen: unknown;
  const local = await startServer({ invoke: (event) => { seen = event; return 'ok'; } });
  t.after(() => local.close());
  await invoke(local.port, '');
  assert.ok(Buffer.isBuffer(seen));
  assert.equal((seen as Buffer).length, 0);
});

const cases: [string, unknown, string | undefined, string][] = [
  ['Buffer', Buffer.from('bytes'), 'application/octet-stream', 'bytes'],
  ['Uint8Array', new Uint8Array([104, 105]), 'application/octet-stream', 'hi'],
  ['ArrayBuffer', new Uint8Array([111, 107]).buffer, 'application/octet-stream', 'ok'],
  ['string (UTF-8)', 'héllo 世界', 'text/plain; charset=utf-8', 'héllo 世界'],
  ['undefined', undefined, undefined, ''],
  ['null', null, undefined, ''],
  ['object', { a: 1, b: [true, null] }, 'application/json', '{"a":1,"b":[true,null]}'],
  ['number', 42, 'application/json', '42'],
  ['boolean', false, 'application/json', 'false'],
];

for (const [name, result, type, body] of cases) {
  test(`a ${name} result: 200, x-fc-status 200, ${type ?? 'no content type'}`, async (t) => {
    const local = await startServer({ invoke: async () => result });
    t.after(() => local.close());
    const reply = await invoke(local.port, 'e');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-status'], '200');
    assert.equal(reply.headers['content-type'], type);
    assert.equal(reply.text, body);
    assert.equal(reply.headers['content-length'], String(Buffer.byteLength(body)));
  });
}

test('a throw gives 404, x-fc-status 404 and FC runtime error JSON with the stack', async (t) => {
  class QuotaError extends Error { override name = 'QuotaError'; }
  const local = await startServer({ invoke: () => { throw new QuotaError('over quota'); } });
  t.after(() => local.close());
  const reply = await invoke(local.port, 'e');
  assert.equal(reply.status, 404);
  assert.equal(reply.headers['x-fc-status'], '404');
  assert.equal(reply.headers['content-type'], 'application/json');
  const body = reply.json();
  assert.equal(body.errorMessage, 'over quota');
  assert.equal(body.errorType, 'QuotaError');
  assert.ok(Array.isArray(body.stackTrace) && body.stackTrace.length > 0);
  assert.match(body.stackTrace[0], /^at /);
});

test('a rejection and thrown non-Errors are reported too, and the server keeps serving', async (t) => {
  const throws: unknown[] = [() => Promise.reject(new TypeError('bad input')), 'plain string', null, 7];
  let i = 0;
  const local = await startServer({
    invoke: async (event) => {
      if (event.toString() === 'ok') return 'fine';
      const value = throws[i++];
      if (typeof value === 'function') return value();
      throw value;
    },
  });
  t.after(() => local.close());
  const rejected = (await invoke(local.port, 'x')).json();
  assert.deepEqual([rejected.errorType, rejected.errorMessage], ['TypeError', 'bad input']);
  const str = (await invoke(local.port, 'x')).json();
  assert.deepEqual([str.errorType, str.errorMessage], ['string', 'plain string']);
  const nul = (await invoke(local.port, 'x')).json();
  assert.deepEqual([nul.errorType, nul.errorMessage], ['null', 'null']);
  const num = (await invoke(local.port, 'x')).json();
  assert.deepEqual([num.errorType, num.errorMessage], ['number', '7']);
  const after = await invoke(local.port, 'ok');
  assert.equal(after.status, 200);
  assert.equal(after.text, 'fine');
});

test('a result that cannot be serialised is a function error, not a wrong body', async (t) => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const results: unknown[] = [circular, { n: 10n }, () => 1, Symbol('s')];
  let i = 0;
  const local = await startServer({ invoke: () => results[i++] });
  t.after(() => local.close());
  for (const expected of [/circular/i, /BigInt/i, /function/, /symbol/]) {
    const reply = await invoke(local.port, 'x');
    assert.equal(reply.status, 404);
    assert.equal(reply.headers['x-fc-status'], '404');
    assert.equal(reply.json().errorType, 'TypeError');
    assert.match(reply.json().errorMessage, expected);
  }
});

test('a handler that never settles is bounded by x-fc-function-timeout; the server lives on', async (t) => {
  const local = await startServer({
    invoke: (event) => (event.toString() === 'hang' ? new Promise(() => {}) : 'alive'),
  });
  t.after(() => local.close());
  const reply = await invoke(local.port, 'hang', { 'x-fc-function-timeout': '0.2' });
  assert.equal(reply.status, 404);
  assert.equal(reply.headers['x-fc-status'], '404');
  assert.equal(reply.json().errorType, 'FunctionTimeout');
  assert.match(reply.json().errorMessage, /timed out after 0.2 seconds/);
  assert.equal((await invoke(local.port, 'next')).text, 'alive');
});
