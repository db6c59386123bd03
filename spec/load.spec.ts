/**
 * Load against `fc-container serve` in a child process with its markers on and its stdout
 * captured: every response checked byte for byte against its own request (a unique random body
 * and a unique x-fc-request-id, echoed back), none lost, none mixed up; and every request id's
 * `FC Invoke Start` / `FC Invoke End` pair printed exactly once each, Start first.
 *
 * Ordering of the markers around a handler's own output, and no marker pending at a freeze, are
 * proven in spec/logs.spec.ts; SIGTERM draining in spec/shutdown.spec.ts. This file adds the
 * numbers, and a Fetch handler whose body stream fails half way while other requests are in flight
 * (the single-request case is in spec/fetch.spec.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { spawnServer, type ChildServer } from './helpers/child-server.js';
import { FIXTURES } from './helpers/paths.js';

const IN_FLIGHT = 100;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** One request on the keep-alive agent, read whole; rejects if the response breaks. */
function call(agent: Agent, port: number, { method, path, headers, body }: Call): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Framed explicitly: Node's client sends a DELETE body without any length otherwise.
    const framed = body === undefined ? headers : { ...headers, 'content-length': String(body.length) };
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: framed, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        if (!res.complete) reject(new Error('response incomplete'));
        else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `count` jobs with `IN_FLIGHT` of them in flight at any time. */
async function inFlight<T>(count: number, job: (n: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      results[n] = await job(n);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return results;
}

/** A body of random bytes, unique by construction; now and then a large one (several reads). */
function randomBody(n: number): Buffer {
  const size = n % 500 === 0 ? 64 * 1024 + (n % 7) * 1000 : 16 + Math.floor(Math.random() * 2048);
  return randomBytes(size);
}

/**
 * Checks FC's markers for `ids` in the child's stdout once all of them have arrived: for each id
 * exactly one Start and one End, Start first; and no marker for an id that was not sent.
 */
async function assertMarkersPaired(server: ChildServer, ids: readonly string[], prefix: string): Promise<number> {
  const wanted = new Set(ids);
  const count = (): number => server.stdout().split(`FC Invoke End RequestId: ${prefix}`).length - 1;
  for (let i = 0; i < 200 && count() < ids.length; i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const starts = new Map<string, number[]>();
  const ends = new Map<string, number[]>();
  const lines = server.stdout().split('\n');
  lines.forEach((line, index) => {
    const marker = /^FC Invoke (Start|End) RequestId: (.*)$/.exec(line);
    if (!marker || !marker[2]!.startsWith(prefix)) return;
    const map = marker[1] === 'Start' ? starts : ends;
    const at = map.get(marker[2]!) ?? [];
    at.push(index);
    map.set(marker[2]!, at);
  });
  const problems: string[] = [];
  for (const id of ids) {
    const start = starts.get(id) ?? [];
    const end = ends.get(id) ?? [];
    if (start.length !== 1 || end.length !== 1) problems.push(`${id}: ${start.length} Start, ${end.length} End`);
    else if (start[0]! > end[0]!) problems.push(`${id}: End before Start`);
  }
  for (const id of [...starts.keys(), ...ends.keys()]) if (!wanted.has(id)) problems.push(`${id}: a marker for a request never sent`);
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} marker problems`);
  return lines.length;
}

test('10,000 event invocations, 100 in flight: every response is its own request\'s echo, byte for byte; markers paired', { timeout: 120_000 }, async (t) => {
  const server = await spawnServer(join(FIXTURES, 'rel-load.mjs'));
  t.after(() => server.kill('SIGKILL'));
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  t.after(() => agent.destroy());
  const COUNT = 10_000;
  const ids: string[] = [];
  let bytes = 0;
  const mismatches: string[] = [];
  const started = Date.now();
  await inFlight(COUNT, async (n) => {
    const id = `ld-${n}-${randomBytes(6).toString('hex')}`;
    ids[n] = id;
    const body = randomBody(n);
    bytes += body.length;
    const reply = await call(agent, server.port, {
      method: 'POST',
      path: '/invoke',
      headers: { 'x-fc-control-path': '/invoke', 'x-fc-request-id': id, 'content-type': 'application/octet-stream' },
      body,
    });
    const expected = Buffer.concat([Buffer.from(`${id}\n`), body]);
    if (reply.status !== 200 || reply.headers['x-fc-status'] !== '200' || !reply.body.equals(expected)) {
      mismatches.push(`${id}: status ${reply.status}, ${reply.body.length} bytes, starts ${JSON.stringify(reply.body.subarray(0, 40).toString('latin1'))}`);
    }
  });
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} responses were not their request's echo`);
  assert.equal(ids.filter(Boolean).length, COUNT);
  const lines = await assertMarkersPaired(server, ids, 'ld-');
  // Nothing but the listening line and the markers was printed.
  assert.equal(server.stdout().split('\n').filter((line) => line !== '' && !line.startsWith('FC Invoke ') && !line.includes('listening on')).length, 0);
  assert.equal(server.stderr(), '');
  t.diagnostic(`event: ${COUNT} invocations, ${IN_FLIGHT} in flight, ${(bytes / 1024 / 1024).toFixed(1)} MiB of random bodies, ${seconds.toFixed(1)} s `
    + `(${Math.round(COUNT / seconds)} req/s); 0 mismatched, 0 lost; ${lines - 1} stdout lines, ${COUNT} Start/End pairs in order`);
});

test('2,000 requests to a Node-style HTTP function, 100 in flight: each echo is its own request\'s, byte for byte; markers paired', { timeout: 60_000 }, async (t) => {
  const server = await spawnServer(join(FIXTURES, 'rel-load.mjs'));
  t.after(() => server.kill('SIGKILL'));
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  t.after(() => agent.destroy());
  const COUNT = 2_000;
  const ids: string[] = [];
  const mismatches: string[] = [];
  const methods = ['POST', 'PUT', 'PATCH', 'DELETE'];
  const started = Date.now();
  await inFlight(COUNT, async (n) => {
    const id = `web-${n}-${randomBytes(6).toString('hex')}`;
    ids[n] = id;
    const body = randomBody(n);
    const method = methods[n % methods.length]!;
    const path = `/echo/${n}?q=${randomBytes(4).toString('hex')}`;
    const reply = await call(agent, server.port, {
      method,
      path,
      headers: { 'x-fc-control-path': '/http-invoke', 'x-fc-request-id': id, 'content-type': 'application/octet-stream' },
      body,
    });
    const expected = Buffer.concat([Buffer.from(`${id}\n${method} ${path}\n`), body]);
    if (reply.status !== 200 || !reply.body.equals(expected)) {
      mismatches.push(`${id}: status ${reply.status}, ${reply.body.length} bytes, starts ${JSON.stringify(reply.body.subarray(0, 60).toString('latin1'))}`);
    }
  });
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} responses were not their request's echo`);
  await assertMarkersPaired(server, ids, 'web-');
  assert.equal(server.stderr(), '');
  t.diagnostic(`http: ${COUNT} requests (POST/PUT/PATCH/DELETE), ${IN_FLIGHT} in flight, ${seconds.toFixed(1)} s (${Math.round(COUNT / seconds)} req/s); 0 mismatched, 0 lost, markers paired`);
});

test('a Fetch handler whose body stream fails half way, for every 4th of 2,000 requests in flight: the others are whole, the server goes on', { timeout: 60_000 }, async (t) => {
  const server = await spawnServer(join(FIXTURES, 'rel-fetch-fault.mjs'));
  t.after(() => server.kill('SIGKILL'));
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  t.after(() => agent.destroy());
  const COUNT = 2_000;
  const ids: string[] = [];
  const problems: string[] = [];
  let broken = 0;
  const started = Date.now();
  await inFlight(COUNT, async (n) => {
    const fail = n % 4 === 0;
    const id = `ff-${n}-${randomBytes(4).toString('hex')}`;
    ids[n] = id;
    const outcome = await call(agent, server.port, {
      method: 'GET',
      path: `/${fail ? 'fail' : 'ok'}/${n}`,
      headers: { 'x-fc-control-path': '/http-invoke', 'x-fc-request-id': id },
    }).then((reply) => reply, (error: Error) => error);
    if (fail) {
      // A broken response, never one that looks whole: an error mid-body, or the runtime's 500
      // had the stream failed before the headers went out.
      if (outcome instanceof Error) broken++;
      else if (outcome.status !== 500 || outcome.headers['x-fc-status'] !== '404') problems.push(`${id}: a failed stream ended cleanly with ${outcome.status}`);
      return;
    }
    const expected = `part 1 of ${id}\npart 2 of ${id}\npart 3 of ${id}\n`;
    if (outcome instanceof Error) problems.push(`${id}: ${outcome.message}`);
    else if (outcome.status !== 200 || outcome.body.toString() !== expected) problems.push(`${id}: ${outcome.status} ${JSON.stringify(outcome.body.toString())}`);
  });
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`);

  // Still serving; every invocation, failed or not, has its markers; each failure was logged once.
  const after = await call(agent, server.port, { method: 'GET', path: '/ok/after', headers: { 'x-fc-request-id': 'ff-after' } });
  assert.equal(after.body.toString(), 'part 1 of ff-after\npart 2 of ff-after\npart 3 of ff-after\n');
  await assertMarkersPaired(server, [...ids, 'ff-after'], 'ff-');
  const failures = server.stdout().split('\n').filter((line) => / ff-\d+-[0-9a-f]+ \[error\] Error: the source of ff-\d+-[0-9a-f]+ failed half way$/.test(line));
  assert.equal(failures.length, COUNT / 4);
  assert.doesNotMatch(server.stdout(), /Uncaught|could not be sent/);
  assert.equal(server.stderr(), '');
  t.diagnostic(`fetch faults: ${COUNT} requests, ${COUNT / 4} failing half way (${broken} seen broken by the client mid-body, ${COUNT / 4 - broken} got the runtime's 500), `
    + `${COUNT - COUNT / 4} whole; ${seconds.toFixed(1)} s; markers paired; each failure logged once with its request id`);
});
