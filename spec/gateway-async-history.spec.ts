/**
 * The gateway's record of asynchronous events stays bounded: past its limit the oldest finished
 * events are forgotten, the unfinished ones always kept, and the count of dropped events at stop
 * still counts the forgotten ones. The scheduler (lib/gateway/async-events.ts) is driven here
 * with attempts that finish on a timer; spec/gateway-async.spec.ts runs it through a container.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASYNC_HISTORY_LIMIT, AsyncEvents, type AsyncAttempt } from '../lib/gateway/async-events.js';
import { until } from './helpers/gateway.js';

const succeed = (record: unknown, payload: number, retryCount: number): Promise<AsyncAttempt & { retry: boolean }> =>
  new Promise((resolve) => setImmediate(() => resolve({ retryCount, status: 200, error: undefined, durationMs: 0, retry: false })));

test('past the history limit the oldest finished events are forgotten, the newest kept in order', async () => {
  const events = new AsyncEvents<number>(succeed, 0, 0, 5);
  for (let i = 0; i < 12; i++) events.accept(`r${i}`, undefined, 0, i);
  assert.equal(events.records.length, 12, 'nothing finished yet: all kept');
  await events.whenIdle();
  assert.deepEqual(events.records.map((record) => record.requestId), ['r7', 'r8', 'r9', 'r10', 'r11']);
  assert.ok(events.records.every((record) => record.state === 'succeeded'));
  assert.equal(ASYNC_HISTORY_LIMIT, 1000, 'the gateway keeps the thousand docs/gateway.md says');
});

test('events still waiting are never forgotten, and the dropped count at stop includes forgotten ones', async () => {
  const events = new AsyncEvents<number>(succeed, 0, 0, 2);
  // Five delayed for an hour (kept whatever the limit), then four that finish.
  for (let i = 0; i < 5; i++) events.accept(`late${i}`, undefined, 3600, i);
  for (let i = 0; i < 4; i++) events.accept(`now${i}`, undefined, 0, i);
  // The four finish; two of them are forgotten.
  await until(() => events.records.length === 7, 'the four to finish');
  assert.deepEqual(events.records.filter((record) => record.state === 'delayed').length, 5);
  assert.deepEqual(events.records.filter((record) => record.state === 'succeeded').map((record) => record.requestId), ['now2', 'now3']);
  events.close();
  await events.whenIdle();
  // The five dropped ones finished last: three of them (and both older successes) were forgotten.
  assert.equal(events.records.length, 2);
  assert.equal(events.dropped, 5);
});
