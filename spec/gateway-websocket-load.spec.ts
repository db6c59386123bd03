/**
 * The gateway's WebSocket relay under load: 200 connections at once (`--concurrency 200`, FC's
 * per-instance maximum) exchange binary messages of random sizes up to 1 MiB, some sent in
 * fragments, and each echo is checked byte for byte: nothing lost, nothing mixed up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startGateway } from './helpers/gateway.js';
import { CLI, FIXTURES } from './helpers/paths.js';

const FUNCTION = [process.execPath, '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'ws-node.mjs')];
const CONNECTIONS = Number(process.env.WS_LOAD_CONNECTIONS ?? 200);
const MESSAGES = 3;
const MiB = 1024 * 1024;

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sizes spread over 1 byte to 1 MiB (log-uniform: most small, some near the top). */
function pickSize(random: () => number): number {
  return Math.max(1, Math.floor(Math.exp(random() * Math.log(MiB))));
}

function fill(size: number, random: () => number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let i = 0;
  for (; i + 4 <= size; i += 4) bytes.writeUInt32LE((random() * 4294967296) >>> 0, i);
  for (; i < size; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

async function exchange(url: string, seed: number): Promise<number> {
  const random = createRandom(seed);
  const ws = new WebSocket(url);
  await once(ws, 'open');
  let checked = 0;
  for (let n = 0; n < MESSAGES; n++) {
    const message = fill(pickSize(random), random);
    const echoed = once(ws, 'message');
    if (message.length > 1 && random() < 0.3) {
      // Fragmented: the message goes out as frames the relay must pass on in order.
      const cut = 1 + Math.floor(random() * (message.length - 1));
      ws.send(message.subarray(0, cut), { binary: true, fin: false });
      ws.send(message.subarray(cut), { binary: true, fin: true });
    } else {
      ws.send(message, { binary: true });
    }
    const [data, isBinary] = await echoed as [Buffer, boolean];
    assert.equal(isBinary, true);
    assert.equal(Buffer.compare(data, message), 0, `connection ${seed}, message ${n}: ${data.length} bytes back for ${message.length}`);
    checked++;
  }
  ws.close();
  await once(ws, 'close');
  return checked;
}

test(`${CONNECTIONS} WebSockets at once through the gateway, random sizes up to 1 MiB, some fragmented: every echo byte for byte`, { timeout: 120_000 }, async (t) => {
  const s = await startGateway(t, { command: FUNCTION, concurrency: CONNECTIONS, customDomain: true, functionName: 'my-function' });
  const url = `ws://127.0.0.1:${s.port}/load`;
  const results = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => exchange(url, i + 1)));
  assert.equal(results.reduce((sum, n) => sum + n, 0), CONNECTIONS * MESSAGES);
  // One summary per connection, reported as each closes.
  const relayed = (): number => s.invocations.filter((summary) => summary.status === 101).length;
  if (relayed() < CONNECTIONS) {
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (relayed() < CONNECTIONS) return;
        s.gateway.off('invocation', check);
        resolve();
      };
      s.gateway.on('invocation', check);
    });
  }
  assert.equal(relayed(), CONNECTIONS);
  assert.deepEqual(s.invocations.filter((summary) => summary.error !== undefined), []);
});
