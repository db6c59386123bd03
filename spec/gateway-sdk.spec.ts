/**
 * FC's own SDKs against the local gateway, each call answered as FC answers it: a success, a
 * thrown error, a timeout, a crash and a failing Initializer come back as responses carrying
 * `x-fc-error-type` (never thrown by the SDK); a platform error is thrown with its code, from the
 * shape each SDK reads; every answer carries FC's metadata headers, each equal to the summary
 * line's value for its request id.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { InvocationSummary } from '../lib/emulator.js';
import { startEmulator } from './helpers/emulate.js';
import { createFc2Client, createFc3Client, invokeFc2, invokeFc3, readLogTail, type SdkReply } from './helpers/fc-sdk.js';
import { startGateway, type Started } from './helpers/gateway.js';
import { CLI, FIXTURES } from './helpers/paths.js';

const FUNCTION = [process.execPath, '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'sdk-function.mjs')];
const NAMES = { functionName: 'orders', serviceName: 'shop' };

/** The summary the gateway printed (and emitted) for a reply's request id. */
function findSummary(s: Started, reply: SdkReply): InvocationSummary {
  const summary = s.invocations.find((entry) => entry.requestId === reply.headers['x-fc-request-id']);
  assert.ok(summary, `a summary for ${reply.headers['x-fc-request-id']}`);
  return summary;
}

/** FC's metadata headers, each the summary line's value. */
function assertMetadata(s: Started, reply: SdkReply): void {
  const summary = findSummary(s, reply);
  assert.equal(reply.headers['x-fc-invocation-duration'], String(summary.billedMs));
  assert.equal(reply.headers['x-fc-instance-id'], summary.instanceId);
  assert.equal(reply.headers['x-fc-invocation-service-version'], 'LATEST');
  assert.equal(reply.headers['x-fc-max-memory-usage'], (summary.maxMemoryUsed! / (1024 * 1024)).toFixed(2));
  assert.match(s.out(), new RegExp(`RequestId: ${summary.requestId} .* Billed Duration: ${summary.billedMs} ms .* Max Memory Used: ${reply.headers['x-fc-max-memory-usage']} MB`));
  assert.match(reply.headers['access-control-expose-headers']!, /^Date,x-fc-request-id,x-fc-error-type,x-fc-invocation-duration,x-fc-max-memory-usage,x-fc-log-result,x-fc-instance-id,x-fc-invocation-service-version$/);
}

for (const sdk of ['@alicloud/fc2', '@alicloud/fc20230330'] as const) {
  describe(`${sdk} against the gateway`, () => {
    let s: Started;
    let call: (event: string) => Promise<SdkReply>;
    let callOther: () => Promise<SdkReply>;
    before(async () => {
      s = await startGateway(undefined, { command: FUNCTION, timeout: 0.4, ...NAMES });
      if (sdk === '@alicloud/fc2') {
        const client = createFc2Client(s.port);
        call = (event) => invokeFc2(client, 'shop', 'orders', event);
        callOther = () => invokeFc2(client, 'shop', 'other', 'x');
      } else {
        const client = createFc3Client(s.port);
        call = (event) => invokeFc3(client, 'orders', event);
        callOther = () => invokeFc3(client, 'other', 'x');
      }
    });
    after(() => s.gateway.close());

    test('a success: the function\'s answer and FC\'s metadata headers', async () => {
      const reply = await call('hello');
      if (reply.status !== undefined) assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-fc-error-type'], undefined);
      assert.deepEqual(JSON.parse(reply.text), { hello: 'hello', requestId: reply.headers['x-fc-request-id'] });
      assertMetadata(s, reply);
    });

    test('a thrown error: returned with UnhandledInvocationError and the function\'s error JSON, not thrown', async () => {
      const reply = await call('throw');
      if (reply.status !== undefined) assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
      const body = JSON.parse(reply.text) as { errorType: string; errorMessage: string };
      assert.equal(body.errorType, 'RangeError');
      assert.equal(body.errorMessage, 'thrown on purpose');
      assertMetadata(s, reply);
    });

    test('a timeout: returned with UnhandledInvocationError and FC\'s FunctionTimeout body', async () => {
      const reply = await call('sleep:3000');
      if (reply.status !== undefined) assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
      const body = JSON.parse(reply.text) as { errorType: string; errorMessage: string };
      assert.equal(body.errorType, 'FunctionTimeout');
      assert.match(body.errorMessage, /^Function timed out after 0\.4 seconds/);
      assert.equal(findSummary(s, reply).error, 'FunctionTimeout');
    });

    test('a crash: returned with UnhandledInvocationError and the exit code', async () => {
      const reply = await call('crash');
      if (reply.status !== undefined) assert.equal(reply.status, 200);
      assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
      const body = JSON.parse(reply.text) as { errorType: string; errorMessage: string };
      assert.equal(body.errorType, 'ProcessExited');
      assert.match(body.errorMessage, /exit code 3/);
      // The next call is served by a new instance.
      assert.deepEqual(JSON.parse((await call('after')).text).hello, 'after');
    });

    test('a platform error: thrown by the SDK with its code (FunctionNotFound)', async () => {
      await assert.rejects(callOther(), (error: { code?: string; statusCode?: number; name: string }) => {
        assert.equal(error.code, 'FunctionNotFound', `${error.name}: ${JSON.stringify(error)}`);
        return true;
      });
    });
  });
}

test('a failing Initializer, through each SDK: returned with InitializationError, not thrown', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, initializer: true, env: { SDK_INIT: 'fail' }, ...NAMES });
  for (const reply of [await invokeFc2(createFc2Client(s.port), 'shop', 'orders', 'x'), await invokeFc3(createFc3Client(s.port), 'orders', 'x')]) {
    if (reply.status !== undefined) assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-error-type'], 'InitializationError');
    const body = JSON.parse(reply.text) as { errorMessage: string };
    assert.equal(body.errorMessage, 'the Initializer broke');
  }
});

test('`fc-container emulate` answers both SDKs the same way: a success with its tail and metadata, a thrown error returned', { timeout: 30_000 }, async (t) => {
  const run = startEmulator(['--port', '0', '--function-name', 'orders', '--service-name', 'shop', '--', ...FUNCTION]);
  t.after(() => run.stop());
  const [, port] = await run.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\n/);
  const ok = await invokeFc3(createFc3Client(Number(port)), 'orders', 'log:cli', true);
  const id = ok.headers['x-fc-request-id']!;
  assert.equal(ok.status, 200);
  assert.match(readLogTail(ok)!, new RegExp(`^FC Invoke Start RequestId: ${id}\n(?:.*cli line \\d\n){3}FC Invoke End RequestId: ${id}\n\nDuration: [\\d.]+ ms, Billed Duration: ${ok.headers['x-fc-invocation-duration']} ms, Memory Size: 512 MB, Max Memory Used: ${ok.headers['x-fc-max-memory-usage']} MB\n$`));
  // The summary line the emulator printed carries the same values.
  await run.waitFor(new RegExp(`RequestId: ${id} Invoke -> 200 {2}Duration: [\\d.]+ ms {2}Billed Duration: ${ok.headers['x-fc-invocation-duration']} ms {2}Memory Size: 512 MB {2}Max Memory Used: ${ok.headers['x-fc-max-memory-usage']} MB`));
  const thrown = await invokeFc2(createFc2Client(Number(port)), 'shop', 'orders', 'throw');
  assert.equal(thrown.headers['x-fc-error-type'], 'UnhandledInvocationError');
  assert.equal((JSON.parse(thrown.text) as { errorType: string }).errorType, 'RangeError');
});
