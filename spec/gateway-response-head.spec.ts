/**
 * Response headers past the limit get FC's 502 BadResponse whatever their size: one past Node's
 * default 16 KiB header maximum is a response the gateway refuses, not a lost request (no
 * ProcessExited, no wait for an exit that never comes, no restart).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send } from './helpers/http-client.js';
import { PROXY, RECORDER, startGateway } from './helpers/gateway.js';

const KiB = 1024;

test('response headers of 10, 17, 40 and 200 KiB: 502 BadResponse at once, and the gateway goes on', async (t) => {
  const s = await startGateway(t, { command: RECORDER });
  const pid = s.gateway.instance!.pid;
  for (const size of [10 * KiB, 17 * KiB, 40 * KiB, 200 * KiB]) {
    const reply = await send(s.port, { path: `${PROXY}/headers/${size}` });
    assert.equal(reply.status, 502, `${size} bytes: ${reply.text}`);
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
    assert.equal(reply.headers['x-big'], undefined);
    const body = reply.json();
    assert.equal(body.ErrorCode, 'BadResponse', `${size} bytes: ${reply.text}`);
    assert.match(body.ErrorMessage, size > 64 * KiB
      ? /^Response headers are over 65536 bytes \(the head, unparsed\); the limit is 4096 bytes$/
      : /^Response headers are \d+ bytes \(names and values, after stripping\); the limit is 4096 bytes$/);
    const summary = s.invocations.at(-1)!;
    assert.equal(summary.error, 'BadResponse');
    // A lost request waits 500 ms for the process's exit; a refused response has nothing to wait for.
    assert.ok(summary.durationMs < 400, `${size} bytes: answered after ${summary.durationMs} ms`);
    assert.equal((await send(s.port, { path: `${PROXY}/fine` })).status, 200, 'the next request is served');
  }
  const exact = (await send(s.port, { path: `${PROXY}/headers/${40 * KiB}` })).json();
  assert.equal(exact.ErrorMessage, `Response headers are ${'x-big'.length + 40 * KiB + 'content-type'.length + 'text/plain'.length} bytes (names and values, after stripping); the limit is 4096 bytes`);
  assert.deepEqual(s.restarts, []);
  assert.equal(s.gateway.instance!.pid, pid);
});
