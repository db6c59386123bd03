/**
 * A WebSocket connection's markers: queued to share a write (no response waits on them, and
 * writes every millisecond cost a busy server 11-15% of its CPU), but never left waiting when the
 * last open connection closes, as FC may freeze an idle instance. The runtime's writes on stdout
 * are recorded here (and kept off this process's own stdout) by a `process.stdout.write`
 * installed before the first marker: the runtime writes through whatever it found there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { createServer } from '../lib/index.js';
import { connect } from './helpers/websocket-client.js';

const written: string[] = [];
const forward = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  const text = String(chunk);
  if (!text.includes('FC Invoke')) return (forward as (...args: unknown[]) => boolean)(chunk, ...rest);
  written.push(text);
  const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
  callback?.();
  return true;
}) as typeof process.stdout.write;

const markersIn = (): string => written.join('');

test('a connection closing while another is open: its End marker waits for the batch; the last one\'s goes out in the same turn', async (t) => {
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Map<string, Duplex>();
  const server = createServer({
    upgrade: (req, socket, head, context) => {
      sockets.set(context.requestId, socket);
      wss.handleUpgrade(req, socket, head, () => {});
    },
  }, { logLevel: 'silent' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  const first = await connect(`ws://127.0.0.1:${port}/`, { 'x-fc-request-id': 'linger-1' });
  const second = await connect(`ws://127.0.0.1:${port}/`, { 'x-fc-request-id': 'linger-2' });

  // The runtime's close listener runs before this one (it was added before the app got the
  // socket); an immediate queued here runs after any it queued, and long before the linger.
  const endSeen = (requestId: string): Promise<boolean> => new Promise((resolve) => {
    sockets.get(requestId)!.once('close', () => setImmediate(() => resolve(markersIn().includes(`FC Invoke End RequestId: ${requestId}\n`))));
  });
  const firstEnded = endSeen('linger-1');
  first.terminate();
  assert.equal(await firstEnded, false, 'with a connection still open, the End marker lingers');
  const lastEnded = endSeen('linger-2');
  second.terminate();
  assert.equal(await lastEnded, true, 'the last connection\'s End marker is written in the turn it closed');
  // Both Start markers and the first End are out too, in order, each once.
  assert.deepEqual(markersIn().match(/FC Invoke \w+ RequestId: \S+/g), [
    'FC Invoke Start RequestId: linger-1',
    'FC Invoke Start RequestId: linger-2',
    'FC Invoke End RequestId: linger-1',
    'FC Invoke End RequestId: linger-2',
  ]);
});
