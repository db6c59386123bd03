/**
 * Stopping the gateway while it restarts its instance leaves no process behind: the new instance
 * may be spawned after stopping began (its port was being looked for), and the gateway stops it
 * before `close()` resolves. The fixture exits right after it is ready, so a restart is always
 * under way; `close()` comes 0 to 7 event-loop turns into it, 40 times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from './helpers/paths.js';
import { isAlive } from './helpers/child-server.js';
import { startGateway } from './helpers/gateway.js';

test('close() during a restart, 40 times: every instance the gateway spawned has exited when it resolves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < 40; i++) {
    const pidFile = join(dir, `pids-${i}`);
    const s = await startGateway(undefined, { command: [process.execPath, join(FIXTURES, 'exits-after-ready.cjs')], env: { PID_FILE: pidFile } });
    await once(s.gateway, 'restart');
    // Somewhere in the restart (stopping the old instance, looking for a free port, spawning):
    // 0 to 7 turns of the event loop after it began.
    for (let turn = 0; turn < i % 8; turn++) await new Promise((resolve) => setImmediate(resolve));
    await s.gateway.close();
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    assert.deepEqual(pids.filter(isAlive), [], `run ${i}: instances left running`);
  }
});
