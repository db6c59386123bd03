/**
 * A caller that leaves before the response head: the invocation still runs to its end, as on FC,
 * and ends when the container has answered: the slot is free for the next request at once, no
 * FunctionTimeout, no restart, and the summary line says "caller gone".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { FC3, post, RECORDER, recordFile, startGateway, until, type Started } from './helpers/gateway.js';

const ROUNDS = 20;
const TIMEOUT_S = 3;
/** Past Node's stream highWaterMark: what used to stall behind a response nobody reads. */
const ANSWER_BYTES = 200_000;

function connections(s: Started): Promise<number> {
  return new Promise((resolve, reject) => s.gateway.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

test('a caller gone before the response head frees its slot when the function answers: next request at once, no restart, "caller gone"', { timeout: 20_000 }, async (t) => {
  const record = recordFile(t);
  const s = await startGateway(t, { command: RECORDER, timeout: TIMEOUT_S, env: { EMU_RECORD: record.path } });
  const pid = s.gateway.instance!.pid;
  for (let round = 0; round < ROUNDS; round++) {
    const held = record.lines().length;
    const caller = connect(s.port, '127.0.0.1');
    caller.on('error', () => {});
    caller.write(`POST ${FC3} HTTP/1.1\r\nHost: x\r\nContent-Length: ${`hold:${ANSWER_BYTES}`.length}\r\n\r\nhold:${ANSWER_BYTES}`);
    // The container has the request; the caller leaves, and the gateway sees it leave.
    await until(() => record.lines().length === held + 1, 'the container to hold the invocation');
    const requestId = record.lines().at(-1)!.split(' ')[1]!;
    caller.destroy();
    for (let count = await connections(s); count > 0; count = await connections(s)) await new Promise((resolve) => setTimeout(resolve, 5));
    // Now the function answers.
    process.kill(s.gateway.instance!.pid!, 'SIGUSR2');
    const started = Date.now();
    const next = await post(s.port, FC3, 'ok');
    const waited = Date.now() - started;
    assert.equal(next.status, 200, next.text);
    assert.ok(waited < (TIMEOUT_S * 1000) / 3, `the next request waited ${waited} ms for the slot`);
    const gone = s.invocations.find((summary) => summary.requestId === requestId);
    assert.ok(gone, 'the invocation whose caller left was summarized before the next one ran');
    assert.equal(gone.status, 0);
    assert.equal(gone.error, undefined);
    assert.ok(gone.durationMs < (TIMEOUT_S * 1000) / 3, `duration ${gone.durationMs} ms`);
    assert.match(s.out(), new RegExp(`RequestId: ${requestId} Invoke -> caller gone  Duration`));
  }
  assert.deepEqual(s.restarts, []);
  assert.equal(s.gateway.instance!.pid, pid);
  console.log(`# ${ROUNDS} callers gone before a ${ANSWER_BYTES}-byte answer: each slot freed when the function answered, no restart`);
});
