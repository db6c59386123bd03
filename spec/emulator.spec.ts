/**
 * The local gateway (`createGateway`, `fc-container emulate`) in front of real child processes: an
 * fc-container function (the CLI serving spec/fixtures/emu-function.mjs) and a bare node:http
 * server written like the seed's Express sample (spec/fixtures/emu-bare.cjs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startGateway, FC3, PROXY, post, readPlatformErrorCode, until, type Started } from './helpers/gateway.js';
import { send, type Reply } from './helpers/http-client.js';
import { CLI, FIXTURES } from './helpers/paths.js';

const FUNCTION_COMMAND = [process.execPath, '--expose-gc', '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'emu-function.mjs')];
const BARE_COMMAND = [process.execPath, join(FIXTURES, 'emu-bare.cjs')];
const FC2 = '/2016-08-15/services/my-service/functions/my-function/invocations';



describe('in front of an fc-container function', () => {
  let s: Started;
  before(async () => {
    s = await startGateway(undefined, { command: FUNCTION_COMMAND, initializer: true, preStop: true, memory: 1024, timeout: 30, region: 'cn-shanghai', accountId: '42' });
  });
  after(() => s.gateway.close());

  test('starts the command at once, with FC\'s environment, and reports the cold start', async () => {
    const cold = s.gateway.coldStart!;
    assert.ok(cold.readyMs !== undefined && cold.readyMs > 0);
    assert.match(s.out(), /Cold start: instance c-[0-9a-f-]+ \(pid \d+\) listening on port \d+ \d+ ms after spawn/);
    // Started before any request: the function's own start-up line comes, though its pipe may be
    // read after the port opened (the readiness check's socket can win): wait for the line itself.
    const startUpLine = /\[my-function\] fc-container listening on 0\.0\.0\.0:\d+/;
    await s.outWritten(startUpLine);
    assert.match(s.out(), startUpLine);
  });

  test('FC 3.0 event invocation: POST /invoke with the body and FC\'s common headers, a fresh request id each time', async () => {
    const first = await post(s.port, FC3, '{"a":1}');
    assert.equal(first.status, 200);
    const body = first.json();
    assert.equal(body.event, '{"a":1}');
    assert.equal(body.controlPath, '/invoke');
    assert.equal(body.requestId, first.headers['x-fc-request-id']);
    assert.deepEqual(body.function, {
      name: 'my-function', handler: 'index.handler', memory: 1024, timeout: 30, initializer: 'index.initializer', initializationTimeout: 30,
    });
    assert.equal(body.region, 'cn-shanghai');
    assert.equal(body.accountId, '42');
    assert.equal(body.service.qualifier, 'LATEST');
    assert.equal(body.service.name, '', 'FC 3.0 has no services');
    const { env } = body;
    assert.equal(env.FC_FUNCTION_NAME, 'my-function');
    assert.equal(env.FC_REGION, 'cn-shanghai');
    assert.equal(env.FC_ACCOUNT_ID, '42');
    assert.equal(env.FC_FUNCTION_MEMORY_SIZE, '1024');
    assert.equal(env.FC_INSTANCE_ID, s.gateway.instance!.id);
    assert.equal(env.FC_CUSTOM_LISTEN_PORT, String(s.gateway.instance!.port));
    assert.equal(first.headers['x-fc-status'], undefined);
    const second = await post(s.port, FC3, 'again');
    assert.notEqual(second.headers['x-fc-request-id'], first.headers['x-fc-request-id']);
    assert.equal(second.json().requestId, second.headers['x-fc-request-id']);
  });

  test('FC 2.0 event invocation sends the service; a qualifier in either URL reaches x-fc-qualifier', async () => {
    const fc2 = (await post(s.port, FC2, 'v2')).json();
    assert.equal(fc2.event, 'v2');
    assert.equal(fc2.service.name, 'my-service');
    const qualified2 = (await post(s.port, '/2016-08-15/services/my-service.prod/functions/my-function/invocations', 'q')).json();
    assert.equal(qualified2.service.qualifier, 'prod');
    const qualified3 = (await post(s.port, `${FC3}?qualifier=blue`, 'q')).json();
    assert.equal(qualified3.service.qualifier, 'blue');
  });

  test('the Initializer ran once, before the first request, and is reported with the cold start', async () => {
    await post(s.port, FC3, 'x');
    const body = (await post(s.port, FC3, 'y')).json();
    assert.equal(body.initializations, 1);
    assert.equal(s.initializations.length, 1, 'POST /initialize was sent once');
    assert.equal(s.out().match(/FC Initialize Start/g)?.length, 1);
    assert.match(s.out(), /\[my-function\] initialize ran 1 [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n/);
    assert.match(s.out(), /Initializer RequestId: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} succeeded \(200\) in [\d.]+ ms \(cold start: \d+ ms to port open \+ \d+ ms Initializer\)/);
    assert.ok(s.gateway.coldStart!.initializerMs !== undefined);
  });

  test('a failed invocation (x-fc-status: 404) reaches the API caller as FC answers it: 200, its body and x-fc-error-type', async () => {
    const reply = await post(s.port, FC3, 'fail');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
    assert.equal(reply.headers['x-fc-status'], undefined);
    assert.ok(reply.headers['x-fc-request-id']);
    const body = reply.json();
    assert.equal(body.errorMessage, 'failed on purpose');
    assert.equal(body.errorType, 'TypeError');
  });

  test('HTTP trigger on the default domain: method, path, query, headers and body, x-fc-base-path, forced download', async () => {
    const reply = await send(s.port, {
      method: 'PUT',
      path: `${PROXY}/api/items/7?x=1&y=2`,
      body: 'payload',
      headers: { 'content-type': 'text/plain', 'x-custom': 'kept', 'x-fc-request-id': 'spoofed', 'X-FC-Control-Path': '/invoke', 'accept-encoding': 'gzip', te: 'trailers' },
    });
    assert.equal(reply.status, 200);
    const body = reply.json();
    assert.equal(body.method, 'PUT');
    // fc-container strips the base path for the app; context.basePath tells it.
    assert.equal(body.url, '/api/items/7?x=1&y=2');
    assert.equal(body.basePath, '/2016-08-15/proxy/my-service/my-function/');
    assert.equal(body.controlPath, '/http-invoke');
    assert.equal(body.body, 'payload');
    assert.equal(body.headers['x-custom'], 'kept');
    assert.equal(body.headers['content-type'], 'text/plain');
    assert.equal(body.headers['x-fc-request-id'], reply.headers['x-fc-request-id'], 'the client\'s x-fc-request-id is dropped');
    assert.equal(body.headers['x-fc-service-name'], 'my-service');
    assert.equal(body.headers['x-fc-client-ip'], '127.0.0.1');
    assert.equal(body.headers['accept-encoding'], undefined);
    assert.equal(body.headers.te, undefined);
    assert.equal(reply.headers['content-disposition'], 'attachment');
    assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2'], 'repeated response headers stay repeated');
  });

  test('a path naming another function or service: 404 FunctionNotFound naming the one served', async () => {
    for (const path of [
      '/2023-03-30/functions/other/invocations',
      '/2016-08-15/services/my-service/functions/other/invocations',
      '/2016-08-15/services/other-svc/functions/my-function/invocations',
      '/2016-08-15/proxy/other-svc/my-function/',
      '/2016-08-15/proxy/my-service/other/x',
    ]) {
      const reply = await post(s.port, path, 'x');
      assert.equal(reply.status, 404, path);
      assert.equal(readPlatformErrorCode(reply, path), 'FunctionNotFound', path);
      const body = reply.json() as Record<string, string>;
      assert.match(body.Message ?? body.ErrorMessage!, /serves function "my-function"/, path);
      if (path.startsWith('/2023-03-30/')) assert.equal(body.RequestId, reply.headers['x-fc-request-id'], path);
      assert.ok(reply.headers['x-fc-request-id'], path);
    }
    const unknown = await send(s.port, { path: '/api/hello' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json().ErrorCode, 'PathNotFound');
    const wrongMethod = await send(s.port, { path: FC3 });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'POST');
  });

  test('one summary line per invocation: duration, billed duration (1 ms units), memory size, peak memory', async () => {
    const before = s.invocations.length;
    const reply = await post(s.port, FC3, 'summary');
    await until(() => s.invocations.length > before, 'the summary');
    const summary = s.invocations.at(-1)!;
    assert.equal(summary.requestId, reply.headers['x-fc-request-id']);
    assert.equal(summary.status, 200);
    assert.equal(summary.kind, 'invoke');
    assert.equal(summary.memorySize, 1024);
    assert.equal(summary.billedMs, Math.max(1, Math.ceil(summary.durationMs)));
    assert.ok(summary.maxMemoryUsed! > 10 * 1024 * 1024, 'the child\'s resident memory');
    const line = new RegExp(`RequestId: ${summary.requestId} Invoke -> 200  Duration: [\\d.]+ ms  Billed Duration: ${summary.billedMs} ms  Memory Size: 1024 MB  Max Memory Used: [\\d.]+ MB`);
    assert.match(s.out(), line);
  });

  test('peak memory is the child\'s, per invocation: the high-water mark is reset before each one', async () => {
    await post(s.port, FC3, 'warm-up');
    await post(s.port, FC3, 'alloc:96');
    const big = s.invocations.at(-1)!;
    await post(s.port, FC3, 'small');
    const small = s.invocations.at(-1)!;
    assert.ok(big.maxMemoryUsed! - small.maxMemoryUsed! > 64 * 1024 * 1024,
      `the 96 MB invocation (${big.maxMemoryUsed}) should peak far above the next one (${small.maxMemoryUsed})`);
  });

  test('close() sends GET /pre-stop, then stops the command and the server', async () => {
    const pid = s.gateway.instance!.pid!;
    await s.gateway.close();
    assert.match(s.out(), /\[my-function\] preStop ran [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n/);
    assert.match(s.out(), /PreStop RequestId: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} answered 200/);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the command has exited');
    await assert.rejects(send(s.port, { path: FC3 }), /ECONNREFUSED/);
  });
});

describe('in front of a bare node:http server (the seed\'s sample, no fc-container)', () => {
  test('the same API and trigger; ALIBABA_CLOUD_* credentials become the credential headers and stay in the environment', async (t) => {
    const saved = { ...process.env };
    process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = 'LTAI-test-id';
    process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'test-secret-value';
    process.env.ALIBABA_CLOUD_SECURITY_TOKEN = 'test-token-value';
    t.after(() => {
      for (const name of ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    });
    const s = await startGateway(undefined, { command: BARE_COMMAND, initializer: true, initializerHandler: 'app.init', memory: 256 });
    t.after(() => s.gateway.close());
    const reply = await post(s.port, FC3, 'hello');
    assert.equal(reply.status, 200);
    const body = reply.json();
    assert.equal(body.event, 'hello');
    assert.equal(body.initializations, 1);
    const h = body.headers;
    assert.equal(h['x-fc-control-path'], '/invoke');
    assert.equal(h['content-type'], 'application/octet-stream');
    assert.equal(h['x-fc-function-memory'], '256');
    assert.equal(h['x-fc-function-initializer'], 'app.init');
    assert.equal(h['x-fc-access-key-id'], 'LTAI-test-id');
    assert.equal(h['x-fc-access-key-secret'], 'test-secret-value');
    assert.equal(h['x-fc-security-token'], 'test-token-value');
    assert.equal(body.env.ALIBABA_CLOUD_ACCESS_KEY_ID, 'LTAI-test-id');
    assert.equal(body.env.FC_FUNCTION_MEMORY_SIZE, '256');
    assert.match(s.out(), /\[my-function\] Running on http:\/\/0\.0\.0\.0:\d+\n/, 'the child\'s stdout, prefixed');
    assert.match(s.out(), /\[my-function\] initialize 1 [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n/);
    // The default-domain trigger reaches the app with the full path.
    const http = (await send(s.port, { path: `${PROXY}/hello?name=fc` })).json();
    assert.equal(http.url, `${PROXY}/hello?name=fc`);
    assert.equal(http.headers['x-fc-base-path'], `${PROXY}/`);
  });

  test('custom domain: every other path at the root, no base path, the app\'s own content-disposition', async (t) => {
    const s = await startGateway(undefined, { command: BARE_COMMAND, customDomain: true });
    t.after(() => s.gateway.close());
    const reply = await send(s.port, { method: 'POST', path: '/api/echo?x=1', body: 'b', headers: { 'content-type': 'text/plain' } });
    assert.equal(reply.status, 200);
    const body = reply.json();
    assert.equal(body.url, '/api/echo?x=1');
    assert.equal(body.body, 'b');
    assert.equal(body.headers['x-fc-control-path'], '/http-invoke');
    assert.equal(body.headers['x-fc-base-path'], undefined);
    assert.equal(reply.headers['content-disposition'], undefined, 'no forced download on a custom domain');
    // The API stays reachable beside the custom domain.
    assert.equal((await post(s.port, FC3, 'e')).json().event, 'e');
  });

  test('concurrency 1: requests wait their turn in arrival order and never overlap inside', async (t) => {
    const s = await startGateway(undefined, { command: BARE_COMMAND });
    t.after(() => s.gateway.close());
    const replies: Promise<Reply>[] = [];
    for (let i = 0; i < 4; i++) {
      replies.push(post(s.port, FC3, `sleep:80:${i}`));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const bodies = (await Promise.all(replies)).map((reply) => reply.json());
    const last = bodies.at(-1);
    assert.deepEqual(last.order, ['sleep:80:0', 'sleep:80:1', 'sleep:80:2', 'sleep:80:3']);
    assert.equal(Math.max(...bodies.map((body) => body.maxInFlight)), 1);
  });

  test('concurrency N: up to N at once inside the container, never more', async (t) => {
    const s = await startGateway(undefined, { command: BARE_COMMAND, concurrency: 2 });
    t.after(() => s.gateway.close());
    const started = Date.now();
    const bodies = (await Promise.all(Array.from({ length: 5 }, (_, i) => post(s.port, FC3, `sleep:150:${i}`)))).map((reply) => reply.json());
    assert.equal(Math.max(...bodies.map((body) => body.maxInFlight)), 2);
    assert.ok(Date.now() - started >= 3 * 150 - 20, 'five requests two at a time take three rounds');
  });

  test('stop: GET /pre-stop first, then SIGTERM to the command', async (t) => {
    const s = await startGateway(undefined, { command: BARE_COMMAND, preStop: true });
    t.after(() => s.gateway.close());
    await post(s.port, FC3, 'x');
    await s.gateway.close();
    const out = s.out();
    const preStop = out.search(/\[my-function\] pre-stop [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} /);
    const sigterm = out.indexOf('[my-function] SIGTERM received');
    assert.ok(preStop !== -1 && sigterm > preStop, out);
    assert.match(out, /pre-stop [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} \/pre-stop/, 'with x-fc-control-path: /pre-stop');
  });

  test('--target: a server already running, forwarded to; memory is n/a', async (t) => {
    const { spawn } = await import('node:child_process');
    const { findFreePort } = await import('../lib/emulator.js');
    const port = await findFreePort();
    const child = spawn(process.execPath, [join(FIXTURES, 'emu-bare.cjs')], { env: { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port) }, stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    const s = await startGateway(undefined, { target: `http://127.0.0.1:${port}`, startTimeout: 10 });
    t.after(() => s.gateway.close());
    const reply = await post(s.port, FC3, 'via target');
    assert.equal(reply.json().event, 'via target');
    await until(() => s.invocations.length === 1, 'the summary');
    assert.equal(s.invocations[0]!.maxMemoryUsed, undefined);
    assert.match(s.out(), /Max Memory Used: n\/a/);
    await s.gateway.close();
    assert.equal(child.exitCode, null, 'a target is never stopped');
  });
});
