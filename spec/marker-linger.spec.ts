/**
 * How long a WebSocket connection's markers wait to share a write (lib/runtime/output.ts): up to
 * MARKER_LINGER_MS, or until MARKER_LINGER_BYTES are pending, whichever comes first. Run in a
 * child of its own (fixtures/marker-linger.mts), where nothing else prints: any other output on
 * stdout or stderr writes the pending batch first, a test reporter's included.
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
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr);
  const record = JSON.parse(stderr.trim().split('\n').at(-1)!) as { writtenTwoTurnsLater: number; lingerMs: number; lingered: string; boundWhole: boolean; boundBytes: number };
  assert.equal(record.writtenTwoTurnsLater, 0, 'a lingering batch is not written in the turns it was queued');
  // Node's timers never run before their time (rounded to the millisecond).
  assert.ok(record.lingerMs >= MARKER_LINGER_MS - 1, `written after ${record.lingerMs} ms`);
  assert.equal(record.lingered, 'FC Invoke Start RequestId: linger-a\nFC Invoke Start RequestId: linger-b\n');
  assert.ok(record.boundWhole, `past the byte bound, ${record.boundBytes} bytes were written in the turn`);
});
