/**
 * How long a WebSocket connection's markers wait to share a write (lib/runtime/output.ts): up to
 * MARKER_LINGER_MS, or until MARKER_LINGER_BYTES are pending, whichever comes first (run in a
 * child of its own, fixtures/marker-linger.mts, where nothing else prints: any other output on
 * stdout or stderr writes the pending batch first, a test reporter's included). A response's
 * final write, which waits for the pending markers, never waits for that linger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { MARKER_LINGER_BYTES, MARKER_LINGER_MS } from '../lib/runtime/output.js';
import { FIXTURES } from './helpers/paths.js';

test(`queued markers wait ${MARKER_LINGER_MS} ms for company, or go out in the turn ${MARKER_LINGER_BYTES} bytes are pending`, async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'marker-linger.mts')], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const [code] = await once(child, 'close'); // its stderr read to the end
  assert.equal(code, 0, stderr);
  const record = JSON.parse(stderr.trim().split('\n').at(-1)!) as { writtenTwoTurnsLater: number; secondQueuedMs: number; lingerMs: number; lingered: string; boundWhole: boolean; boundBytes: number };
  // Node's timers never run before their time (rounded to the millisecond).
  assert.ok(record.lingerMs >= MARKER_LINGER_MS - 1, `written after ${record.lingerMs} ms`);
  // Unless a stalled machine let the linger run out between the two turns, they share the write.
  if (record.secondQueuedMs < MARKER_LINGER_MS - 1) {
    assert.equal(record.writtenTwoTurnsLater, 0, 'a lingering batch is not written in the turns it was queued');
    assert.equal(record.lingered, 'FC Invoke Start RequestId: linger-a\nFC Invoke Start RequestId: linger-b\n');
  }
  assert.ok(record.boundWhole, `past the byte bound, ${record.boundBytes} bytes were written in the turn`);
});

test('a response never waits for the linger: with only lingering markers pending, its final write goes out this turn', async (t) => {
  const { createServer } = await import('../lib/index.js');
  const { queueMarker } = await import('../lib/runtime/output.js');
  const { request } = await import('node:http');
  // A server without markers beside a WebSocket's lingering marker (another server in the
  // process): the response has no End marker of its own to schedule the batch. The marker is
  // kept off this process's stdout (the runtime writes through what it finds there).
  const forward = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => (String(chunk).includes('FC Invoke') ? true : (forward as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest))) as typeof process.stdout.write;
  let endedByNextTurn: boolean | undefined;
  const server = createServer({
    http: (_req, res) => {
      queueMarker('Invoke', 'Start', 'lingering-ws');
      res.end('ok');
      // flushMarkers' immediate, queued by the end, runs before this one's.
      setImmediate(() => { endedByNextTurn = res.writableEnded; });
    },
  }, { markers: false, logLevel: 'silent' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  const res = await new Promise<import('node:http').IncomingMessage>((resolve) => request({ port, host: '127.0.0.1', path: '/' }, resolve).end());
  res.resume();
  await once(res, 'end');
  assert.equal(endedByNextTurn, true);
});
