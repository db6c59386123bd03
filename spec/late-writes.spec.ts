/**
 * A handler's calls on its response after the runtime answered the request itself (a function
 * timeout, a refused body) are ignored and logged: the client keeps the runtime's answer and the
 * instance keeps serving. On a plain Node server those calls throw ERR_HTTP_HEADERS_SENT from a
 * timer, which would end the instance. Real child processes (`fc-container serve`), markers on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnServer, type ChildServer } from './helpers/child-server.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { exchange } from './helpers/raw-client.js';

const ANSWERS = join(FIXTURES, 'answers.mjs');
const EXPRESS = join(FIXTURES, 'late-express.cjs');
const ANSWERS_FETCH = join(FIXTURES, 'answers-fetch.mjs');
const LATE_LINE = /wrote to its response after the runtime had answered the request: ignored/g;
const SEVEN_MIB = 7 * 1024 * 1024;

async function start(t: { after(fn: () => void): void }, module: string): Promise<ChildServer> {
  const server = await spawnServer(module);
  t.after(() => server.kill('SIGKILL'));
  return server;
}

/** Waits until the late-call line has been printed `count` times. */
async function waitForLateLines(server: ChildServer, count: number): Promise<void> {
  await server.waitForOutput(new RegExp(`(?:[\\s\\S]*${LATE_LINE.source}){${count}}`));
}

async function assertStillServing(server: ChildServer): Promise<void> {
  const reply = await send(server.port, { path: '/ok' });
  assert.equal(reply.status, 200);
  assert.equal(reply.text, 'ok');
  assert.equal(server.child.exitCode, null, 'the instance is still running');
  assert.doesNotMatch(server.stdout(), /Uncaught exception|ERR_HTTP_HEADERS_SENT/);
}

test('an Express route answering after its function timeout: 6 clients get the 504, the instance keeps serving', async (t) => {
  const server = await start(t, EXPRESS);
  const replies = await Promise.all(Array.from({ length: 6 }, () => send(server.port, {
    path: '/slow-json', headers: { 'x-fc-function-timeout': '0.2' },
  })));
  for (const reply of replies) {
    assert.equal(reply.status, 504);
    assert.equal(reply.json().errorType, 'FunctionTimeout');
  }
  await waitForLateLines(server, 6);
  await assertStillServing(server);
});

test('setHeader, writeHead and end after the function timeout are ignored: 9 clients get the 504, none gets the late body', async (t) => {
  const server = await start(t, ANSWERS);
  const replies = await Promise.all(Array.from({ length: 9 }, () => send(server.port, {
    path: '/late', headers: { 'x-fc-function-timeout': '0.2' },
  })));
  for (const reply of replies) {
    assert.equal(reply.status, 504);
    assert.equal(reply.headers['x-late'], undefined);
  }
  await waitForLateLines(server, 9);
  assert.equal(server.stdout().match(LATE_LINE)?.length, 9, 'one line per response, not one per call');
  await assertStillServing(server);
});

test('a handler answering its own body-limit error: 5 chunked 7 MiB uploads get FC\'s 400, the instance keeps serving', async (t) => {
  const server = await start(t, ANSWERS);
  const body = Buffer.alloc(SEVEN_MIB, 0x61);
  const request = Buffer.concat([
    Buffer.from(`POST /own-413 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`),
    body,
    Buffer.from('\r\n0\r\n\r\n'),
  ]);
  for (let i = 0; i < 5; i++) {
    const reply = await exchange(server.port, request);
    assert.equal(reply.status, 400);
    assert.equal(reply.json().ErrorCode, 'InvalidArgument');
  }
  await waitForLateLines(server, 5);
  await assertStillServing(server);
});

test('a client that leaves once it has FC\'s 400, its body unfinished: the handler still gets the error, 10 times, the instance keeps serving', async (t) => {
  const server = await start(t, ANSWERS);
  // A 7 MiB chunk announced, 6.5 MiB of it sent, never the end: the body cannot finish draining.
  const partial = Buffer.concat([
    Buffer.from(`POST /own-413 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${SEVEN_MIB.toString(16)}\r\n`),
    Buffer.alloc(6.5 * 1024 * 1024, 0x61),
  ]);
  for (let i = 0; i < 10; i++) {
    // exchange() destroys its socket as soon as the reply is complete.
    const reply = await exchange(server.port, partial);
    assert.equal(reply.status, 400);
  }
  await waitForLateLines(server, 10);
  await assertStillServing(server);
});

test('a Fetch-style function returning an endless stream after its timeout: the 504 stands, the instance keeps serving', { timeout: 10_000 }, async (t) => {
  const server = await start(t, ANSWERS_FETCH);
  const replies = await Promise.all(Array.from({ length: 3 }, () => send(server.port, {
    path: '/late-stream', headers: { 'x-fc-function-timeout': '0.2' },
  })));
  for (const reply of replies) assert.equal(reply.status, 504);
  await server.waitForOutput(/(?:[\s\S]*returning the endless stream){3}/);
  await assertStillServing(server);
});
