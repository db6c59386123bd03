/**
 * The gateway holds the container's answer whole, as FC's gateway does a non-streaming response:
 * the invocation ends when the container has answered, whatever the caller's pace (FC's duration
 * and concurrency count the function, not the caller), and the answer is bounded by FC's
 * synchronous payload limit (the body limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { FC3, post, RECORDER, startGateway, until } from './helpers/gateway.js';

const ROUNDS = 10;
const ANSWER_BYTES = 5_000_000;
const MiB = 1024 * 1024;

/** Sends one request on raw TCP and reads nothing until `read()` is called; `read()` resolves to the whole response. */
function slowCaller(port: number, body: string): { socket: Socket; read: () => Promise<{ head: string; body: Buffer }> } {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  socket.write(`POST ${FC3} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const read = (): Promise<{ head: string; body: Buffer }> => new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      resolve({ head: all.subarray(0, end).toString('latin1'), body: all.subarray(end + 4) });
    });
    socket.resume();
  });
  return { socket, read };
}

test('a caller that does not read: the invocation ends when the function answered, the next runs meanwhile, the answer arrives whole', { timeout: 30_000 }, async (t) => {
  const s = await startGateway(t, { command: RECORDER, timeout: 1 });
  const pid = s.gateway.instance!.pid;
  for (let round = 0; round < ROUNDS; round++) {
    const before = s.invocations.length;
    const caller = slowCaller(s.port, `big:${ANSWER_BYTES}`);
    t.after(() => caller.socket.destroy());
    await until(() => s.invocations.length > before, 'the summary of the unread invocation');
    const summary = s.invocations[before]!;
    assert.equal(summary.error, undefined, `round ${round}: ${summary.error}`);
    assert.equal(summary.status, 200);
    assert.ok(summary.durationMs < 500 && summary.billedMs < 500, `billed for the function, not the caller: ${summary.durationMs} ms`);
    // The caller still reads nothing; the slot is free (concurrency 1).
    const next = await post(s.port, FC3, 'ok');
    assert.equal(next.status, 200);
    const reply = await caller.read();
    assert.match(reply.head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(reply.head, new RegExp(`\r\ncontent-length: ${ANSWER_BYTES}\r\n`, 'i'));
    assert.equal(reply.body.length, ANSWER_BYTES);
    assert.ok(reply.body.every((byte) => byte === 0x62), 'the bytes the function sent');
  }
  assert.deepEqual(s.restarts, []);
  assert.equal(s.gateway.instance!.pid, pid);
  console.log(`# ${ROUNDS} unread ${ANSWER_BYTES}-byte answers: each invocation ended when the function answered, none timed out`);
});

test('an answer over the body limit (6 MiB): 502 BadResponse once the function is done; at the limit it passes', async (t) => {
  const s = await startGateway(t, { command: RECORDER });
  const atLimit = await post(s.port, FC3, `big:${6 * MiB}`);
  assert.equal(atLimit.status, 200);
  assert.equal(atLimit.body.length, 6 * MiB);
  const over = await post(s.port, FC3, `big:${6 * MiB + 1}`);
  assert.equal(over.status, 502);
  assert.equal(over.headers['x-fc-error-type'], 'UnhandledInvocationError');
  // A platform error (502) in FC 3.0's API shape: the container broke FC's rules.
  assert.deepEqual(over.json(), {
    Code: 'BadResponse',
    Message: `Response body is over ${6 * MiB} bytes; the limit is ${6 * MiB} bytes`,
    RequestId: over.headers['x-fc-request-id'],
  });
  assert.equal(s.invocations.at(-1)!.error, 'BadResponse');
  // The container's answer was read to its end: the connection serves the next request.
  assert.equal((await post(s.port, FC3, 'ok')).status, 200);
  assert.deepEqual(s.restarts, []);
});
