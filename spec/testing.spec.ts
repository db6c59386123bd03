/**
 * fc-container/testing: the client drives the server createServer() builds, over a loopback
 * socket with FC's headers, so every rule applies as under serve(); each result carries exactly
 * its invocation's lines; nothing is printed or left open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import FakeTimers from '@sinonjs/fake-timers';
import type { Context, Handlers } from '../lib/index.js';
import { createTestClient, type TestClientOptions } from '../lib/testing.js';
import { send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';
import { FIXTURES, ROOT } from './helpers/paths.js';

const execFileAsync = promisify(execFile);
const CREDENTIALS = { accessKeyId: 'AK-id', accessKeySecret: 'secret-value-1234', securityToken: 'token-value-5678' };

function client(t: { after(fn: () => unknown): void }, handlers: Handlers, options: TestClientOptions = {}): ReturnType<typeof createTestClient> {
  const fc = createTestClient(handlers, options);
  t.after(() => fc.close());
  return fc;
}

test('invoke: an object goes as JSON; the result has status, lower-case headers, body, json(), requestId, and its lines in order', async (t) => {
  let seen: Context | undefined;
  const fc = client(t, {
    invoke: (event, context) => {
      seen = context;
      console.log('console line', JSON.parse(event.toString()).n);
      process.stdout.write('stdout line\n');
      context.logger.info('logger line with', CREDENTIALS.accessKeySecret);
      return { doubled: JSON.parse(event.toString()).n * 2 };
    },
  }, { credentials: CREDENTIALS, function: { name: 'orders', memory: 256, timeout: 3 }, region: 'cn-beijing', accountId: '42' });
  const r = await fc.invoke({ n: 21 });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-fc-status'], '200');
  assert.deepEqual(r.json(), { doubled: 42 });
  assert.equal(r.text(), '{"doubled":42}');
  assert.equal(r.error, undefined);
  assert.equal(r.errorType, undefined);
  assert.equal(r.logs[0], `FC Invoke Start RequestId: ${r.requestId}`);
  assert.equal(r.logs[1], 'console line 21');
  assert.equal(r.logs[2], 'stdout line');
  assert.match(r.logs[3]!, new RegExp(`^\\S+ ${r.requestId} \\[info\\] logger line with \\[redacted\\]$`));
  assert.equal(r.logs[4], `FC Invoke End RequestId: ${r.requestId}`);
  assert.equal(r.logs.length, 5);
  assert.equal(seen!.function.name, 'orders');
  assert.equal(seen!.function.memory, 256);
  assert.equal(seen!.region, 'cn-beijing');
  assert.equal(seen!.accountId, '42');
  assert.equal(seen!.credentials.accessKeySecret, CREDENTIALS.accessKeySecret);
});

test('30 invocations in flight at once: each result holds exactly its own lines, between its own markers', async (t) => {
  const fc = client(t, {
    invoke: async (event, context) => {
      const n = Number(event.toString());
      console.log(`first ${n}`);
      await new Promise((resolve) => setTimeout(resolve, (n * 7) % 5));
      process.stderr.write(`second ${n}\n`);
      await Promise.resolve();
      context.logger.warn(`third ${n}`);
      return n;
    },
  });
  const results = await Promise.all(Array.from({ length: 30 }, (_, n) => fc.invoke(String(n))));
  for (const [n, r] of results.entries()) {
    assert.equal(r.logs.length, 5, r.logs.join('\n'));
    assert.equal(r.logs[0], `FC Invoke Start RequestId: ${r.requestId}`);
    assert.equal(r.logs[1], `first ${n}`);
    assert.equal(r.logs[2], `second ${n}`);
    assert.match(r.logs[3]!, new RegExp(` ${r.requestId} \\[warn\\] third ${n}$`));
    assert.equal(r.logs[4], `FC Invoke End RequestId: ${r.requestId}`);
  }
});

test('nothing reaches the process\'s output unless printLogs is asked; close() leaves no handle, signal or exception handler behind', async () => {
  const script = join(FIXTURES, 'testing-quiet.cjs');
  const quiet = await execFileAsync(process.execPath, [script], { cwd: ROOT, timeout: 20_000 });
  // The script exits by itself after close() (no handle left) and prints only its own summary.
  assert.equal(quiet.stdout, 'listeners 0 0 0\nlogs 3\n');
  assert.equal(quiet.stderr, '');
  const loud = await execFileAsync(process.execPath, [script, 'print'], { cwd: ROOT, timeout: 20_000 });
  assert.match(loud.stdout, /^FC Invoke Start RequestId: .+\nhello from the handler\nFC Invoke End RequestId: .+\n/);
});

test('the first invoke runs the Initializer once; an explicit initialize() counts; a failed one is InitializationError and is tried again', async (t) => {
  let runs = 0;
  let fail = true;
  const fc = client(t, {
    initialize: () => {
      runs++;
      if (fail) throw new Error('no database');
    },
    invoke: () => 'ok',
  });
  const failed = await fc.invoke('x');
  assert.equal(failed.errorType, 'InitializationError');
  assert.equal(failed.error?.errorMessage, 'no database');
  fail = false;
  assert.equal((await fc.invoke('x')).text(), 'ok');
  assert.equal((await fc.invoke('x')).text(), 'ok');
  assert.equal(runs, 2);
  const explicit = client(t, { initialize: () => { runs++; }, invoke: () => 'ok' });
  assert.equal((await explicit.initialize()).status, 200);
  await explicit.invoke();
  assert.equal(runs, 3);
});

test('a fractional function timeout fails the invocation and then aborts context.signal: a handler that returns when told to stop is late, 20 times of 20', async (t) => {
  const aborted: string[] = [];
  const fc = client(t, {
    invoke: (_event, context) => new Promise((resolve) => {
      context.signal.addEventListener('abort', () => {
        aborted.push((context.signal.reason as Error).name);
        resolve('late');
      });
    }),
  }, { function: { timeout: 0.03 } });
  for (let round = 0; round < 20; round++) {
    const r = await fc.invoke();
    assert.equal(r.status, 404, `round ${round}: ${r.text()}`);
    assert.equal(r.errorType, 'UnhandledInvocationError');
    assert.match(r.error!.errorMessage!, /timed out after 0\.03 seconds/);
  }
  assert.deepEqual(new Set(aborted), new Set(['TimeoutError']));
});

test('a throw is FC\'s failure: 404, x-fc-status 404, the error body, UnhandledInvocationError', async (t) => {
  const fc = client(t, { invoke: () => { throw new RangeError('out of stock'); } });
  const r = await fc.invoke({});
  assert.equal(r.status, 404);
  assert.equal(r.headers['x-fc-status'], '404');
  assert.equal(r.errorType, 'UnhandledInvocationError');
  assert.equal(r.error?.errorType, 'RangeError');
  assert.equal(r.error?.errorMessage, 'out of stock');
});

test('an oversize path, a request header over the limit and a response header over the limit are answered exactly as under serve()', async (t) => {
  const handlers: Handlers = {
    http: (req, res) => {
      if (req.url === '/big-header') res.setHeader('x-big', 'v'.repeat(9000));
      res.end('fine');
    },
  };
  const served = await startServer(handlers);
  t.after(() => served.close());
  const fc = client(t, handlers);
  const cases: { path: string; headers: Record<string, string> }[] = [
    { path: `/${'p'.repeat(9000)}`, headers: {} },
    { path: '/', headers: { 'x-padding': 'h'.repeat(9000) } },
    { path: '/big-header', headers: {} },
  ];
  for (const { path, headers } of cases) {
    const viaClient = await fc.http(path, { headers });
    const viaServe = await send(served.port, { path, headers: { ...headers, 'x-fc-request-id': viaClient.requestId } });
    assert.equal(viaClient.status, viaServe.status, path.slice(0, 20));
    assert.ok(viaClient.status >= 400, `${path.slice(0, 20)} is refused (${viaClient.status})`);
    assert.deepEqual(viaClient.json(), viaServe.json());
    assert.deepEqual(viaClient.error, viaServe.json());
  }
});

test('http(): x-fc-* headers a test passes are dropped as FC drops them; a Request with a body works; fc3 limits accepted', async (t) => {
  const fc = client(t, {
    http: async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, forged: req.headers['x-fc-forged'] ?? null, accept: req.headers.accept, body: Buffer.concat(chunks).toString() }));
    },
  }, { profile: 'fc3', limits: 'fc3' });
  const r = await fc.http('/api/orders/7?full=1', { method: 'PUT', headers: { accept: 'application/json', 'x-fc-forged': 'yes' }, body: { a: 1 } });
  assert.deepEqual(r.json(), { method: 'PUT', url: '/api/orders/7?full=1', forged: null, accept: 'application/json', body: '{"a":1}' });
  const viaRequest = await fc.http(new Request('http://localhost/from/request', { method: 'POST', body: 'text body', headers: { accept: 'text/plain' } }));
  assert.deepEqual(viaRequest.json(), { method: 'POST', url: '/from/request', forged: null, accept: 'text/plain', body: 'text body' });
});

test('preStop() calls the PreStop hook with its markers', async (t) => {
  let stopped = false;
  const fc = client(t, { preStop: () => { stopped = true; } });
  const r = await fc.preStop();
  assert.equal(r.status, 200);
  assert.equal(stopped, true);
  assert.deepEqual(r.logs, [`FC PreStop Start RequestId: ${r.requestId}`, `FC PreStop End RequestId: ${r.requestId}`]);
});

test('under fake timers (node:test\'s mock.timers, @sinonjs/fake-timers on setTimeout/setImmediate/Date) calls still complete; a faked nextTick is refused at once', async (t) => {
  const fc = client(t, { invoke: (_e, context) => context.requestId });
  t.mock.timers.enable({ apis: ['setTimeout', 'setImmediate', 'Date'] });
  try {
    assert.equal((await fc.invoke()).status, 200);
  } finally {
    t.mock.timers.reset();
  }
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'setImmediate', 'Date'] });
  try {
    assert.equal((await fc.invoke()).status, 200);
  } finally {
    clock.uninstall();
  }
  const ticks = FakeTimers.install({ toFake: ['nextTick'] });
  try {
    await assert.rejects(fc.invoke(), /process\.nextTick is faked/);
  } finally {
    ticks.uninstall();
  }
});

test('require(\'fc-container/testing\') and import reach one client (the built package)', async () => {
  const { stdout } = await execFileAsync(process.execPath, ['-e', `
    const cjs = require('fc-container/testing');
    import('fc-container/testing').then((esm) => console.log(esm.createTestClient === cjs.createTestClient, typeof cjs.createTestClient));
  `], { cwd: ROOT });
  assert.equal(stdout, 'true function\n');
});

test('under Vitest: its per-worker console loses no line to result.logs, and its default fake timers hold nothing up', async () => {
  const { stdout, stderr } = await execFileAsync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', join(FIXTURES, 'vitest')], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1' } });
  const report = `${stdout}${stderr}`;
  assert.match(report, /Tests\s+2 passed \(2\)/, report);
});
