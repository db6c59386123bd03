import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect, format } from 'node:util';
import type { Context } from '../lib/index.js';
import { fcHeaders, invoke, send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';

const SECRET = 'very-secret-key-value-123';
const TOKEN = 'security-token-value-ABCDEFGH';

async function captureContext(headers: Record<string, string>): Promise<Context> {
  let captured: Context | undefined;
  const local = await startServer({ invoke: (_event, context) => { captured = context; return ''; } });
  try {
    await invoke(local.port, '', headers);
  } finally {
    await local.close();
  }
  return captured!;
}

test('the context carries FC common headers in the built-in runtime shape', async () => {
  const context = await captureContext(fcHeaders());
  assert.equal(context.requestId, 'req-0001');
  assert.equal(context.controlPath, '/invoke');
  assert.equal(context.credentials.accessKeyId, 'STS.keyid');
  assert.equal(context.credentials.accessKeySecret, SECRET);
  assert.equal(context.credentials.securityToken, TOKEN);
  assert.deepEqual(context.function, {
    name: 'hello', handler: 'index.handler', memory: 512, timeout: 60,
    initializer: 'index.initializer', initializationTimeout: 30,
  });
  assert.deepEqual(context.service, { name: 'svc', logProject: 'logproj', logStore: 'logstore', qualifier: 'LATEST', versionId: '0000' });
  assert.equal(context.region, 'cn-hangzhou');
  assert.equal(context.accountId, '1234567890123456');
  assert.equal(typeof context.accountId, 'string');
  assert.deepEqual(context.tracing, { spanContext: 'span-ctx', jaegerEndpoint: 'http://jaeger', spanBaggages: 'baggage' });
  assert.equal(typeof context.logger.info, 'function');
});

test('missing headers give empty values, and a local request gets a generated id', async () => {
  const context = await captureContext({ 'x-fc-control-path': '' });
  assert.match(context.requestId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(context.function, { name: '', handler: '', memory: 0, timeout: 0, initializer: '', initializationTimeout: 0 });
  assert.equal(context.credentials.accessKeySecret, '');
  assert.equal(context.region, '');
  assert.equal(context.deadline, Infinity);
  assert.equal(context.remainingTimeMs(), Infinity);
});

test('the deadline comes from x-fc-function-timeout', async () => {
  const before = Date.now();
  const context = await captureContext(fcHeaders({ 'x-fc-function-timeout': '3' }));
  assert.ok(context.deadline >= before + 3000 && context.deadline <= Date.now() + 3000);
});

test('secrets are readable but hidden from JSON.stringify, util.inspect (showHidden) and %o', async () => {
  const context = await captureContext(fcHeaders());
  const renderings = [
    JSON.stringify(context),
    JSON.stringify({ nested: { context } }),
    inspect(context, { showHidden: true, depth: 10, getters: true }),
    inspect(context.credentials, { showHidden: true, getters: true }),
    format('%o', context),
    format('%O', context),
    format('%j', context),
    String(inspect(context.logger, { showHidden: true })),
  ];
  for (const text of renderings) {
    assert.ok(!text.includes(SECRET), `secret leaked in: ${text}`);
    assert.ok(!text.includes(TOKEN), `token leaked in: ${text}`);
  }
  assert.match(JSON.stringify(context), /"accessKeyId":"STS.keyid"/);
  assert.match(JSON.stringify(context), /"accessKeySecret":"\[redacted\]"/);
  assert.equal(context.credentials.accessKeySecret, SECRET);
});

test('context.signal aborts at the deadline', async (t) => {
  let reason: unknown;
  const local = await startServer({
    invoke: (_event, context) => new Promise((resolve) => {
      context.signal.addEventListener('abort', () => { reason = context.signal.reason; resolve('aborted'); });
    }),
  });
  t.after(() => local.close());
  // The runtime's own timer answers at the same deadline; the handler's signal fired as well.
  await invoke(local.port, '', { 'x-fc-function-timeout': '0.1' });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((reason as DOMException).name, 'TimeoutError');
});

test('context.signal aborts when the client goes away', async (t) => {
  let aborted: (reason: unknown) => void;
  const abortedReason = new Promise((resolve) => { aborted = resolve; });
  const local = await startServer({
    http: (_req, _res, context) => {
      context.signal.addEventListener('abort', () => aborted(context.signal.reason));
    },
  });
  t.after(() => local.close());
  const { request } = await import('node:http');
  const req = request({ host: '127.0.0.1', port: local.port, path: '/slow' });
  req.on('error', () => {});
  req.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  req.destroy();
  const reason = await abortedReason;
  assert.equal((reason as DOMException).name, 'AbortError');
});

test('context.logger prints FC lines with the request id (checked in logs.spec); the HTTP context is the same shape', async (t) => {
  let context: Context | undefined;
  const local = await startServer({ http: (_req, res, ctx) => { context = ctx; res.end(); } });
  t.after(() => local.close());
  await send(local.port, { path: '/a', headers: fcHeaders({ 'x-fc-control-path': '/http-invoke', 'x-fc-base-path': '/2016-08-15/proxy/svc/fn/' }) });
  assert.equal(context!.requestId, 'req-0001');
  assert.equal(context!.controlPath, '/http-invoke');
  assert.equal(context!.basePath, '/2016-08-15/proxy/svc/fn/');
});
