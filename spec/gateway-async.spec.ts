/**
 * Asynchronous invocation (`x-fc-invocation-type: Async`): 202 at once with the request id and an
 * empty body, the event run afterwards in arrival order within the concurrency; a failed run
 * retried FC's number of times with `x-fc-retry-count` (the function's `context.retryCount`);
 * `x-fc-async-delay` honoured; the task id accepted and reported; a payload over 128 KB refused
 * with `EntityTooLarge`; every attempt summarized; stopping drops what has not run and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseEmulateArgs, resolveGatewayOptions } from '../lib/emulator.js';
import { createFc3Client, invokeFc3 } from './helpers/fc-sdk.js';
import { FC3, PROXY, RECORDER, post, readPlatformErrorCode, recordFile, startGateway } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { CLI, FIXTURES } from './helpers/paths.js';

const FUNCTION = [process.execPath, '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'sdk-function.mjs')];
const NAMES = { functionName: 'my-function', serviceName: 'my-service' };
const FC2 = '/2016-08-15/services/my-service/functions/my-function/invocations';
const ASYNC = { 'x-fc-invocation-type': 'Async' };
const KiB = 1024;

test('through FC 3.0\'s SDK: 202 at once, empty, with the request id; the event runs afterwards, its summary an attempt of 4', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const reply = await invokeFc3(createFc3Client(s.port), 'my-function', 'sleep:200', false, 'Async');
  assert.equal(reply.status, 202);
  assert.equal(reply.text, '');
  const id = reply.headers['x-fc-request-id']!;
  const record = s.gateway.asyncEvents.find((event) => event.requestId === id)!;
  // Answered before the run ended: the event is still inside.
  assert.ok(['queued', 'running'].includes(record.state), record.state);
  await s.gateway.whenAsyncIdle();
  assert.equal(record.state, 'succeeded');
  assert.deepEqual(record.attempts.map((attempt) => [attempt.retryCount, attempt.status, attempt.error]), [[0, 200, undefined]]);
  assert.match(s.out(), new RegExp(`RequestId: ${id} Invoke \\(async attempt 1 of 4\\) -> 200 `));
});

test('a failing event: retried --async-retries times, the function seeing retryCount 0, 1, 2, 3; each attempt summarized', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, asyncBackoff: 5, ...NAMES });
  const reply = await post(s.port, FC3, 'always-fail', ASYNC);
  assert.equal(reply.status, 202);
  const id = String(reply.headers['x-fc-request-id']);
  await s.gateway.whenAsyncIdle();
  const record = s.gateway.asyncEvents[0]!;
  assert.equal(record.state, 'failed');
  assert.deepEqual(record.attempts.map((attempt) => [attempt.retryCount, attempt.error]), [0, 1, 2, 3].map((n) => [n, 'UnhandledInvocationError']));
  await s.outWritten(/attempt with retryCount 3/);
  assert.deepEqual([...s.out().matchAll(/attempt with retryCount (\d)/g)].map((match) => Number(match[1])), [0, 1, 2, 3]);
  for (let n = 1; n <= 4; n++) assert.match(s.out(), new RegExp(`RequestId: ${id} Invoke \\(async attempt ${n} of 4\\) -> 200 \\(UnhandledInvocationError\\)`));

  const fewer = await startGateway(t, { command: FUNCTION, asyncBackoff: 5, asyncRetries: 1, ...NAMES });
  await post(fewer.port, FC3, 'always-fail', ASYNC);
  await fewer.gateway.whenAsyncIdle();
  assert.deepEqual(fewer.gateway.asyncEvents[0]!.attempts.map((attempt) => attempt.retryCount), [0, 1]);
});

test('x-fc-async-delay: the run waits that long; a delay outside FC\'s range is a 400', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const accepted = performance.now();
  const reply = await post(s.port, FC2, 'x', { ...ASYNC, 'x-fc-async-delay': '0.3' });
  assert.equal(reply.status, 202);
  const record = s.gateway.asyncEvents[0]!;
  assert.equal(record.state, 'delayed');
  await s.gateway.whenAsyncIdle();
  assert.ok(performance.now() - accepted >= 300, 'ran after its delay');
  assert.equal(record.state, 'succeeded');
  for (const delay of ['3601', '-1', 'soon']) {
    const refused = await post(s.port, FC3, 'x', { ...ASYNC, 'x-fc-async-delay': delay });
    assert.equal(refused.status, 400, delay);
    assert.equal(readPlatformErrorCode(refused, FC3), 'InvalidArgument');
  }
  assert.equal(s.gateway.asyncEvents.length, 1);
});

test('the task id, on each API\'s own header: echoed on the 202 and reported', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, asyncBackoff: 5, ...NAMES });
  const fc3 = await post(s.port, FC3, 'x', { ...ASYNC, 'x-fc-async-task-id': 'task-3' });
  assert.equal(fc3.headers['x-fc-async-task-id'], 'task-3');
  const fc2 = await post(s.port, FC2, 'x', { ...ASYNC, 'X-Fc-Stateful-Async-Invocation-Id': 'task-2' });
  assert.equal(fc2.headers['x-fc-stateful-async-invocation-id'], 'task-2');
  await s.gateway.whenAsyncIdle();
  assert.deepEqual(s.gateway.asyncEvents.map((event) => event.taskId), ['task-3', 'task-2']);
  assert.match(s.out(), /Invoke \(async attempt 1 of 4, task task-3\) -> 200 /);
});

for (const profile of ['fc2', 'fc3'] as const) {
  test(`${profile}: a payload over 128 KB is 400 EntityTooLarge on both APIs, declared or chunked; 128 KB is taken`, async (t) => {
    const s = await startGateway(t, { command: FUNCTION, profile, ...NAMES });
    for (const path of [FC3, FC2]) {
      for (const chunked of [false, true]) {
        const body = Buffer.alloc(128 * KiB + 1, 0x61);
        const reply = await send(s.port, { method: 'POST', path, headers: chunked ? { ...ASYNC, 'transfer-encoding': 'chunked' } : ASYNC, body });
        assert.equal(reply.status, 400, `${path} chunked=${chunked}`);
        assert.equal(readPlatformErrorCode(reply, path), 'EntityTooLarge');
        assert.match(reply.text, /payload size exceeds maximum allowed size \(131072 bytes\)/);
      }
    }
    const atLimit = await post(s.port, FC3, 'x'.repeat(128 * KiB), ASYNC);
    assert.equal(atLimit.status, 202);
    await s.gateway.whenAsyncIdle();
    assert.equal(s.gateway.asyncEvents.length, 1);
  });
}

test('through the HTTP trigger too: 202, then the HTTP function runs the request', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const reply = await send(s.port, { path: `${PROXY}/later`, headers: ASYNC });
  assert.equal(reply.status, 202);
  await s.gateway.whenAsyncIdle();
  assert.equal(s.gateway.asyncEvents[0]!.state, 'succeeded');
  await s.outWritten(/\[info\] http \/later/);
});

test('with concurrency 1 the events run in arrival order', async (t) => {
  const record = recordFile(t);
  const s = await startGateway(t, { command: RECORDER, env: { EMU_RECORD: record.path }, ...NAMES });
  for (let i = 0; i < 20; i++) assert.equal((await post(s.port, FC3, `order-${i}`, ASYNC)).status, 202);
  await s.gateway.whenAsyncIdle();
  assert.deepEqual(record.lines().map((line) => line.split(' ')[2]), Array.from({ length: 20 }, (_, i) => `order-${i}`));
});

test('200 events with concurrency 4, sent at once: each runs exactly once', { timeout: 60_000 }, async (t) => {
  const record = recordFile(t);
  const s = await startGateway(t, { command: RECORDER, concurrency: 4, env: { EMU_RECORD: record.path }, ...NAMES });
  const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => post(s.port, i % 2 ? FC3 : FC2, `ok-${i}`, ASYNC)));
  assert.deepEqual([...new Set(replies.map((reply) => reply.status))], [202]);
  await s.gateway.whenAsyncIdle();
  const ran = record.lines().map((line) => line.split(' ')[1]!);
  assert.equal(ran.length, 200);
  assert.deepEqual(new Set(ran), new Set(replies.map((reply) => String(reply.headers['x-fc-request-id']))));
  assert.deepEqual([...new Set(s.gateway.asyncEvents.map((event) => event.state))], ['succeeded']);
});

test('stopping: the running attempt finishes, the queued and delayed events are dropped and counted', async (t) => {
  const s = await startGateway(undefined, { command: FUNCTION, ...NAMES });
  t.after(() => s.gateway.close());
  const first = await post(s.port, FC3, 'sleep:300', ASYNC);
  for (let i = 0; i < 4; i++) await post(s.port, FC3, `queued-${i}`, ASYNC);
  await post(s.port, FC3, 'delayed', { ...ASYNC, 'x-fc-async-delay': '60' });
  const running = s.gateway.asyncEvents[0]!;
  // The first event is inside the container once its Start marker is printed.
  await s.outWritten(new RegExp(`FC Invoke Start RequestId: ${String(first.headers['x-fc-request-id'])}`));
  assert.equal(running.state, 'running');
  await s.gateway.close();
  assert.equal(running.state, 'succeeded');
  assert.deepEqual(s.gateway.asyncEvents.slice(1).map((event) => event.state), Array(5).fill('dropped'));
  assert.match(s.out(), /Stopped with 5 asynchronous events not run \(queued, delayed or waiting for a retry\): dropped/);
});

test('--async-retries and --async-backoff: FC\'s range 0 to 8', () => {
  assert.deepEqual(Object.entries(parseEmulateArgs(['--async-retries', '0', '--async-backoff', '10', '--', 'node', 'x.js'])).filter(([key]) => key.startsWith('async')), [['asyncRetries', 0], ['asyncBackoff', 10]]);
  assert.equal(resolveGatewayOptions({ command: ['x'] }).asyncRetries, 3);
  for (const asyncRetries of [9, -1, 1.5]) assert.throws(() => resolveGatewayOptions({ command: ['x'], asyncRetries }), /asyncRetries must be a whole number from 0 to 8/);
});
