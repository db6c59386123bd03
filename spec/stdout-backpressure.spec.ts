/**
 * stdout read slowly (FC's log agent under a flood): responses wait for stdout to drain instead
 * of Node buffering the log without bound, so what stays in memory is what the requests in flight
 * printed, and every End marker reaches the pipe before its response leaves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnServer } from './helpers/child-server.js';
import { invoke } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const FLOOD = join(FIXTURES, 'stdout-flood.mjs');
const REQUESTS = 200;
const IN_FLIGHT = 10;
/** In flight: 10 x 4 KB of the handler's own lines, plus markers; unbounded buffering passes it by far. */
const PENDING_BOUND = 128 * 1024;

test(`stdout read at 400 KB/s while ${REQUESTS} invocations print 4 KB each: stdout held in memory stays under 128 KiB`, { timeout: 30_000 }, async (t) => {
  const server = await spawnServer(FLOOD);
  t.after(() => server.kill('SIGKILL'));
  const stdout = server.child.stdout!;
  stdout.pause();
  // The slow reader: 4 KiB every 10 ms.
  const reader = setInterval(() => stdout.read(4096), 10);
  t.after(() => clearInterval(reader));

  let most = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      const id = next++;
      const reply = await invoke(server.port, '', { 'x-fc-request-id': `flood-${id}` });
      assert.equal(reply.status, 200);
      most = Math.max(most, reply.json().most);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  clearInterval(reader);
  stdout.resume();
  t.diagnostic(`most stdout held in memory: ${most} bytes`);
  assert.ok(most < PENDING_BOUND, `stdout held ${most} bytes in memory`);
  await server.waitForOutput(new RegExp(`FC Invoke End RequestId: flood-${REQUESTS - 1}\\n`));
  for (let i = 0; i < REQUESTS; i++) assert.ok(server.stdout().includes(`FC Invoke End RequestId: flood-${i}\n`), `End marker ${i}`);
});
