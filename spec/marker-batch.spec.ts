/**
 * The pending markers' batch (lib/runtime/output.ts): bytes in a reused buffer, written as text.
 * Whatever the batch holds, what reaches stdout is every marker, whole, in order: a batch that
 * would overflow goes out first, a marker too long for the buffer is written on its own, a request
 * id outside ASCII keeps its characters, and a chunk stdout was given is never changed afterwards.
 * The runtime's writes are recorded by a `process.stdout.write` installed before the first marker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flushMarkers, MARKER_LINGER_BYTES, queueMarker, writeMarker } from '../lib/runtime/output.js';

const chunks: unknown[] = [];
const forward = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  if (!String(chunk).includes('FC Invoke')) return (forward as (...args: unknown[]) => boolean)(chunk, ...rest);
  // Kept as given: a logger or a test that stores chunks must never see them change later.
  chunks.push(chunk);
  return true;
}) as typeof process.stdout.write;

const line = (phase: 'Start' | 'End', id: string): string => `FC Invoke ${phase} RequestId: ${id}\n`;

function takeWritten(): string {
  const text = chunks.map((chunk) => (typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))).join('');
  chunks.length = 0;
  return text;
}

test('markers past what the buffer holds all reach stdout, whole and in order', () => {
  let expected = '';
  // About three buffers' worth: queueMarker hands a full batch to this turn's write, writeMarker
  // keeps appending, so the overflow rule is what keeps each line whole.
  for (let i = 0; i < 6000; i++) {
    const id = `batch-${i}`;
    if (i % 2 === 0) queueMarker('Invoke', 'Start', id);
    else writeMarker('Invoke', 'Start', id);
    expected += line('Start', id);
  }
  flushMarkers();
  const written = takeWritten();
  assert.ok(expected.length > 2 * MARKER_LINGER_BYTES);
  assert.equal(written.length, expected.length);
  assert.equal(written, expected);
});

test('a marker longer than the buffer is written on its own, after the markers before it', () => {
  const long = 'x'.repeat(3 * MARKER_LINGER_BYTES);
  writeMarker('Invoke', 'Start', 'before-long');
  writeMarker('Invoke', 'Start', long);
  writeMarker('Invoke', 'End', 'after-long');
  flushMarkers();
  assert.equal(takeWritten(), line('Start', 'before-long') + line('Start', long) + line('End', 'after-long'));
});

test('a request id outside ASCII keeps its characters (UTF-8 both ways)', () => {
  const ids = ['ünïcödé-1', '请求-2', 'emoji-😀-3'];
  for (const id of ids) queueMarker('Invoke', 'End', id);
  flushMarkers();
  assert.equal(takeWritten(), ids.map((id) => line('End', id)).join(''));
});

test('a chunk stdout was given does not change when the buffer is reused', () => {
  writeMarker('Invoke', 'Start', 'first-batch');
  flushMarkers();
  const [first] = chunks;
  const before = typeof first === 'string' ? first : Buffer.from(first as Uint8Array).toString('utf8');
  writeMarker('Invoke', 'Start', 'other-batch');
  flushMarkers();
  const after = typeof first === 'string' ? first : Buffer.from(first as Uint8Array).toString('utf8');
  assert.equal(after, before);
  assert.equal(before, line('Start', 'first-batch'));
  takeWritten();
});
