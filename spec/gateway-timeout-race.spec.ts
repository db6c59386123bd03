/**
 * The function timeout's race: the container is sent the same timeout and may answer at it
 * itself (an fc-container runtime answers FunctionTimeout there). An answer whole only at the
 * deadline is FC's timeout, whichever timer the gateway's event loop ran first: the same error,
 * summary and restart as a container that never answers. The Initializer's timeout likewise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startGateway, FC3, post } from './helpers/gateway.js';
import { FIXTURES } from './helpers/paths.js';

const MISBEHAVING = [process.execPath, join(FIXTURES, 'emu-misbehaving.cjs')];

/**
 * Holds this process's event loop, which the gateway shares, from just before the deadline until
 * well after the container's answer is in the socket: as a loaded machine does, so Node reads
 * the answer (poll phase) before it runs the overdue timer.
 */
function holdLoopAcrossDeadline(timeoutMs: number): void {
  const from = performance.now();
  setTimeout(() => {
    while (performance.now() < from + timeoutMs + 60);
  }, timeoutMs - 10);
}

test('an answer whole only past the deadline, read before the overdue timer ran, is a FunctionTimeout, summarized and restarted as one, 20 times', { timeout: 60_000 }, async (t) => {
  const s = await startGateway(t, { command: MISBEHAVING, timeout: 0.1 });
  for (let round = 1; round <= 20; round++) {
    holdLoopAcrossDeadline(100);
    const reply = await post(s.port, FC3, 'at-deadline:1');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError', `round ${round}: ${reply.text}`);
    assert.equal(reply.json().errorType, 'FunctionTimeout');
    const summary = s.invocations.find((entry) => entry.requestId === reply.headers['x-fc-request-id']);
    assert.equal(summary?.error, 'FunctionTimeout', `round ${round}`);
    assert.equal(s.restarts.length, round);
  }
});

test('an Initializer answer whole only past its deadline is the Initializer\'s timeout, and the instance restarted', { timeout: 15_000 }, async (t) => {
  const s = await startGateway(t, { command: MISBEHAVING, initializer: true, initializationTimeout: 0.1, env: { EMU_INIT: 'at-deadline' } });
  holdLoopAcrossDeadline(100);
  const reply = await post(s.port, FC3, 'a');
  assert.equal(reply.headers['x-fc-error-type'], 'InitializationError');
  assert.equal(reply.json().errorMessage, 'Initializer timed out after 0.1 seconds');
  assert.deepEqual(s.restarts, ['the Initializer timed out']);
});

test('an answer well before the deadline is passed on as the container wrote it', async (t) => {
  const s = await startGateway(t, { command: MISBEHAVING, timeout: 5 });
  const reply = await post(s.port, FC3, 'x');
  assert.equal(reply.status, 200);
  assert.match(reply.text, /^invoked by \d+: x$/);
  assert.deepEqual(s.restarts, []);
});
