/**
 * `x-fc-log-type: Tail`: `x-fc-log-result` holds base64 of the invocation's own log, from its
 * Start marker to its End marker, then the summary with the summary line's values, cut to the last
 * 4 KB; four invocations at once each get exactly their own lines; a container that prints no
 * markers answers without the header and never hangs the call; `--target` gives no tail and says
 * so once; the HTTP trigger answers the tail too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { InvocationSummary } from '../lib/emulator.js';
import { spawnServer } from './helpers/child-server.js';
import { createFc3Client, invokeFc2, invokeFc3, createFc2Client, readLogTail, type SdkReply } from './helpers/fc-sdk.js';
import { startGateway, PROXY, type Started } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { CLI, FIXTURES } from './helpers/paths.js';

const FUNCTION = [process.execPath, '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'sdk-function.mjs')];
const BARE = [process.execPath, join(FIXTURES, 'emu-bare.cjs')];
const NAMES = { functionName: 'my-function', serviceName: 'my-service' };
const TAGS = ['alpha', 'bravo', 'charlie', 'delta'];

function findSummary(s: Started, requestId: string): InvocationSummary {
  const summary = s.invocations.find((entry) => entry.requestId === requestId);
  assert.ok(summary, `a summary for ${requestId}`);
  return summary;
}

/** The tail's last line: the summary in FC's words, with the gateway's values for the request. */
function expectedSummaryLine(summary: InvocationSummary): string {
  return `Duration: ${summary.durationMs.toFixed(2)} ms, Billed Duration: ${summary.billedMs} ms, Memory Size: ${summary.memorySize} MB, Max Memory Used: ${(summary.maxMemoryUsed! / (1024 * 1024)).toFixed(2)} MB`;
}

test('four invocations at once, ten times over: each tail holds its own Start marker, its own lines, its End marker and its summary', { timeout: 60_000 }, async (t) => {
  const s = await startGateway(t, { command: FUNCTION, concurrency: 4, ...NAMES });
  const client = createFc3Client(s.port);
  for (let round = 0; round < 10; round++) {
    const replies = await Promise.all(TAGS.map((tag) => invokeFc3(client, 'my-function', `log:${tag}-${round}`, true)));
    replies.forEach((reply, i) => {
      const tag = `${TAGS[i]}-${round}`;
      const id = reply.headers['x-fc-request-id']!;
      const lines = readLogTail(reply)!.split('\n');
      assert.equal(lines[0], `FC Invoke Start RequestId: ${id}`, `round ${round} ${tag}`);
      const own = lines.slice(1, 4);
      assert.deepEqual(own.map((line) => line.replace(/^.* \[info\] /, '')), [0, 1, 2].map((n) => `${tag} line ${n}`), lines.join('\n'));
      for (const line of own) assert.ok(line.includes(id), line);
      assert.deepEqual(lines.slice(4), [`FC Invoke End RequestId: ${id}`, '', expectedSummaryLine(findSummary(s, id)), '']);
    });
  }
});

test('without x-fc-log-type: Tail no x-fc-log-result; through FC 2.0\'s SDK and the HTTP trigger the tail is there too', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const plain = await invokeFc3(createFc3Client(s.port), 'my-function', 'x');
  assert.equal(plain.headers['x-fc-log-result'], undefined);
  const fc2 = await invokeFc2(createFc2Client(s.port), 'my-service', 'my-function', 'log:two', true);
  assert.match(readLogTail(fc2)!, /^FC Invoke Start RequestId: \S+\n(?:.*two line \d\n){3}FC Invoke End RequestId: /);
  const http = await send(s.port, { path: `${PROXY}/page`, headers: { 'x-fc-log-type': 'Tail' } });
  assert.equal(http.status, 200);
  const tail = Buffer.from(String(http.headers['x-fc-log-result']), 'base64').toString();
  const id = String(http.headers['x-fc-request-id']);
  assert.match(tail, new RegExp(`^FC Invoke Start RequestId: ${id}\\n.*\\[info\\] http /page\\nFC Invoke End RequestId: ${id}\\n\\nDuration: `));
});

test('the HTTP trigger carries the metadata too; an HTTP function\'s own access-control-expose-headers is left as it wrote it', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const plain = await send(s.port, { path: `${PROXY}/page` });
  assert.equal(plain.headers['access-control-expose-headers'], 'Date,x-fc-request-id,x-fc-error-type,x-fc-invocation-duration,x-fc-max-memory-usage,x-fc-log-result,x-fc-instance-id,x-fc-invocation-service-version');
  assert.equal(plain.headers['x-fc-invocation-duration'], String(findSummary(s, String(plain.headers['x-fc-request-id'])).billedMs));
  assert.equal(plain.headers['x-fc-invocation-service-version'], 'LATEST');
  const qualified = await send(s.port, { path: '/2016-08-15/proxy/my-service.prod/my-function/page' });
  assert.equal(qualified.headers['x-fc-invocation-service-version'], 'prod');
  const cors = await send(s.port, { path: `${PROXY}/cors` });
  assert.equal(cors.headers['access-control-expose-headers'], 'x-app-total');
  assert.ok(cors.headers['x-fc-instance-id']);
});

test('a log over 4 KB: the tail is its last 4 KB, ending with the End marker and the summary', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  // console.log lines carry no request id: with one invocation in flight they are its own.
  const reply: SdkReply = await invokeFc3(createFc3Client(s.port), 'my-function', 'bulk:200', true);
  const raw = Buffer.from(reply.headers['x-fc-log-result']!, 'base64');
  assert.ok(raw.length <= 4096 && raw.length > 4000, `${raw.length} bytes`);
  const lines = raw.toString().split('\n');
  assert.match(lines.at(-5)!, /^bulk line 0199 x{40}$/);
  assert.equal(lines.at(-4), `FC Invoke End RequestId: ${reply.headers['x-fc-request-id']}`);
  assert.equal(lines.at(-2), expectedSummaryLine(findSummary(s, reply.headers['x-fc-request-id']!)));
});

test('a container that prints its End marker after it answered: the answer waits for it, so the tail is whole', async (t) => {
  const s = await startGateway(t, { command: [process.execPath, join(FIXTURES, 'late-markers.cjs')], ...NAMES });
  for (let i = 0; i < 3; i++) {
    const reply = await invokeFc3(createFc3Client(s.port), 'my-function', 'x', true);
    const id = reply.headers['x-fc-request-id']!;
    assert.equal(reply.text, 'answered first');
    assert.deepEqual(readLogTail(reply)!.split('\n').slice(0, 4), [`FC Invoke Start RequestId: ${id}`, `late line of ${id}`, `FC Invoke End RequestId: ${id}`, '']);
  }
});

test('a container that prints no markers: the answer goes out without x-fc-log-result, and the call never hangs', { timeout: 10_000 }, async (t) => {
  const s = await startGateway(t, { command: BARE, ...NAMES });
  for (let i = 0; i < 3; i++) {
    const reply = await invokeFc3(createFc3Client(s.port), 'my-function', 'x', true);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-log-result'], undefined);
    assert.ok(reply.headers['x-fc-invocation-duration']);
  }
});

test('--target: no output to read, so no tail and no memory figure; the gateway says so once', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'sdk-function.mjs'));
  t.after(() => server.kill('SIGKILL'));
  const s = await startGateway(t, { target: server.url, ...NAMES });
  for (let i = 0; i < 2; i++) {
    const reply = await invokeFc3(createFc3Client(s.port), 'my-function', 'x', true);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-log-result'], undefined);
    assert.equal(reply.headers['x-fc-max-memory-usage'], undefined);
    assert.equal(reply.headers['x-fc-invocation-duration'], String(findSummary(s, reply.headers['x-fc-request-id']!).billedMs));
  }
  assert.equal(s.err().match(/with --target the gateway reads no output/g)?.length, 1, s.err());
});
