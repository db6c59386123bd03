/**
 * The Initializer under load, against `fc-container serve` in a child process: 200 requests
 * (`/initialize`, `/invoke` and HTTP, mixed) arrive while the first run (300 ms) is still going.
 * It runs once and they all succeed; with a failing first run, every request that waited on it
 * fails (404 JSON; 500 JSON with x-fc-status 404 for HTTP), the next ones succeed, and nothing
 * runs twice after the success. The fixture counts its runs and reports them through an invoke.
 *
 * The gate itself with a few in-process requests: spec/initialize.spec.ts. Here: the numbers, the
 * wire, a real process and FC's log (every request's Start marker is printed before the run ends).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { spawnServer, type ChildServer } from './helpers/child-server.js';
import { FIXTURES } from './helpers/paths.js';

const FIXTURE = join(FIXTURES, 'rel-init.mjs');
const BATCH = 200;

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  json(): any;
}

/** Opens a TCP connection and resolves once it is connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads one response (framed by content-length, as every response here is) from `socket`. */
function readReply(socket: Socket, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no complete response in ${timeoutMs} ms: ${buf.toString('latin1')}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      if (buf.length < end + 4 + length) return;
      cleanup();
      const body = buf.subarray(end + 4, end + 4 + length).toString('utf8');
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body, json: () => JSON.parse(body) });
    };
    const onEnd = (): void => fail(new Error(`connection closed before a complete response: ${buf.toString('latin1')}`));
    const fail = (error: Error): void => { cleanup(); reject(error); };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', fail);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', fail);
  });
}

type Kind = 'initialize' | 'invoke' | 'http';

interface Sent {
  id: string;
  kind: Kind;
  reply: Reply;
}

/** Request n of a batch: /initialize, /invoke and HTTP in turn. */
function wire(kind: Kind, id: string): string {
  switch (kind) {
    case 'initialize':
      return `POST /initialize HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /initialize\r\nx-fc-request-id: ${id}\r\nContent-Length: 0\r\n\r\n`;
    case 'invoke':
      return `POST /invoke HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: ${id}\r\nContent-Length: ${id.length}\r\n\r\n${id}`;
    case 'http':
      return `GET /web/${id} HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /http-invoke\r\nx-fc-request-id: ${id}\r\n\r\n`;
  }
}

/**
 * Connects `BATCH` sockets first, then writes one request on each in the same turn, so they all
 * reach the server within a few milliseconds of each other, and reads every reply.
 */
async function burst(port: number, prefix: string): Promise<Sent[]> {
  const sockets = await Promise.all(Array.from({ length: BATCH }, () => open(port)));
  const kinds: Kind[] = ['initialize', 'invoke', 'http'];
  const sent = sockets.map((socket, n) => {
    const kind = kinds[n % 3]!;
    const id = `${prefix}-${n}`;
    const reply = readReply(socket);
    socket.write(wire(kind, id));
    return { id, kind, reply };
  });
  const replies = await Promise.all(sent.map((item) => item.reply));
  for (const socket of sockets) socket.destroy();
  return sent.map((item, n) => ({ id: item.id, kind: item.kind, reply: replies[n]! }));
}

/** The fixture's counters, through an invoke. */
async function counts(port: number): Promise<{ runs: number; invokes: number; https: number }> {
  const socket = await open(port);
  try {
    const reply = readReply(socket);
    socket.write('POST /invoke HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: counts\r\nContent-Length: 6\r\n\r\ncounts');
    const answer = await reply;
    assert.equal(answer.status, 200, answer.body);
    return answer.json();
  } finally {
    socket.destroy();
  }
}

/** Every request of the batch was printed (Start marker) before the run `run` finished. */
async function assertArrivedBefore(server: ChildServer, sent: Sent[], line: string): Promise<void> {
  await server.waitForOutput(new RegExp(`${line}\\n`));
  const out = server.stdout();
  const finished = out.indexOf(`${line}\n`);
  const late = sent.filter(({ id, kind }) => {
    const start = out.indexOf(`FC ${kind === 'initialize' ? 'Initialize' : 'Invoke'} Start RequestId: ${id}\n`);
    return start === -1 || start > finished;
  });
  assert.deepEqual(late.map(({ id }) => id), [], `requests that arrived after "${line}"`);
}

function assertSucceeded(sent: Sent[], run: number): void {
  for (const { id, kind, reply } of sent) {
    assert.equal(reply.status, 200, `${id}: ${reply.body}`);
    if (kind === 'initialize') {
      assert.equal(reply.body, JSON.stringify({ run }));
      assert.equal(reply.headers['x-fc-status'], '200');
    } else if (kind === 'invoke') {
      assert.deepEqual(reply.json(), { runs: run, id, event: id });
      assert.equal(reply.headers['x-fc-status'], '200');
    } else {
      assert.deepEqual(reply.json(), { runs: run, id, url: `/web/${id}` });
    }
  }
}

test(`${BATCH} requests arriving during the first Initializer run: it runs once and all ${BATCH} succeed`, { timeout: 60_000 }, async (t) => {
  const server = await spawnServer(FIXTURE);
  t.after(() => server.kill('SIGKILL'));
  const started = Date.now();
  const sent = await burst(server.port, 'il');
  const elapsed = Date.now() - started;
  await assertArrivedBefore(server, sent, 'initialize run 1 done');
  assertSucceeded(sent, 1);
  assert.equal(server.stdout().match(/initialize run \d+ started/g)?.length, 1);

  // After the success: more of each, and the Initializer is not run again.
  const later = await burst(server.port, 'il-later');
  assertSucceeded(later, 1);
  const totals = await counts(server.port);
  // Every invoke and HTTP request ran its handler exactly once (the counts call is an invoke too).
  const perKind = (kind: Kind): number => [...sent, ...later].filter((item) => item.kind === kind).length;
  assert.deepEqual(totals, { runs: 1, invokes: perKind('invoke') + 1, https: perKind('http') });
  assert.equal(server.stdout().match(/initialize run \d+ started/g)?.length, 1);
  t.diagnostic(`${BATCH} requests (${perKind('initialize') / 2} /initialize, ${perKind('invoke') / 2} /invoke, ${perKind('http') / 2} HTTP per batch) `
    + `all arrived before the 300 ms run ended; 1 run; first batch answered in ${elapsed} ms; a second batch of ${BATCH}: no new run`);
});

test(`a failing first run: the ${BATCH} requests that waited on it fail with FC's error JSON, the next ${BATCH} succeed, nothing runs twice`, { timeout: 60_000 }, async (t) => {
  const server = await spawnServer(FIXTURE, [], { REL_INIT_FAIL_FIRST: '1' });
  t.after(() => server.kill('SIGKILL'));
  const failed = await burst(server.port, 'if');
  await assertArrivedBefore(server, failed, 'initialize run 1 failed');
  for (const { id, kind, reply } of failed) {
    assert.equal(reply.headers['x-fc-status'], '404', `${id}: ${reply.body}`);
    assert.equal(reply.headers['content-type'], 'application/json');
    const body = reply.json();
    if (kind === 'http') {
      // An HTTP client gets 500 with the message and type, no stack (README, Errors).
      assert.equal(reply.status, 500);
      assert.deepEqual(body, { errorMessage: 'initialize run 1 failed', errorType: 'Error' });
    } else {
      assert.equal(reply.status, 404, `${id}: ${reply.body}`);
      assert.equal(body.errorMessage, 'initialize run 1 failed');
      assert.equal(body.errorType, 'Error');
      assert.ok(Array.isArray(body.stackTrace));
    }
  }
  assert.equal(server.stdout().match(/initialize run \d+ started/g)?.length, 1, 'one run for the whole first batch');
  // None of the handlers ran for the failed batch. (The counts call goes through the gate too:
  // it starts the second run, which succeeds, and is the one invoke counted.)
  assert.deepEqual(await counts(server.port), { runs: 2, invokes: 1, https: 0 });

  // The counts call above arrived first and ran the second run (it succeeded): the next burst finds it done.
  const retried = await burst(server.port, 'ir');
  assertSucceeded(retried, 2);
  const again = await burst(server.port, 'ir-later');
  assertSucceeded(again, 2);
  const totals = await counts(server.port);
  const perKind = (kind: Kind): number => [...retried, ...again].filter((item) => item.kind === kind).length;
  assert.deepEqual(totals, { runs: 2, invokes: perKind('invoke') + 2, https: perKind('http') });
  assert.equal(server.stdout().match(/initialize run \d+ started/g)?.length, 2);
  t.diagnostic(`first run failed: ${BATCH}/${BATCH} waiters answered with the error (404 JSON; 500 JSON for HTTP); `
    + `second run succeeded; ${BATCH * 2} later requests ok; runs = 2`);
});

test(`a failing first run, then a second burst of ${BATCH} that arrives during the second run: it runs once more and all succeed`, { timeout: 60_000 }, async (t) => {
  const server = await spawnServer(FIXTURE, [], { REL_INIT_FAIL_FIRST: '1' });
  t.after(() => server.kill('SIGKILL'));
  const failed = await burst(server.port, 'jf');
  assert.ok(failed.every(({ reply }) => reply.headers['x-fc-status'] === '404'));
  const retried = await burst(server.port, 'jr');
  await assertArrivedBefore(server, retried, 'initialize run 2 done');
  assertSucceeded(retried, 2);
  const totals = await counts(server.port);
  assert.deepEqual(totals, { runs: 2, invokes: retried.filter((item) => item.kind === 'invoke').length + 1, https: retried.filter((item) => item.kind === 'http').length });
  t.diagnostic(`second run shared by all ${BATCH} requests of the second burst; runs = 2`);
});
