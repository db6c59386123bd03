import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnServer } from './helpers/child-server.js';
import { fcHeaders, invoke } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const STRAY = join(FIXTURES, 'stray.mjs');

test('a stray timer\'s exception is logged with its request id; in-flight requests finish; exit 1', async (t) => {
  const server = await spawnServer(STRAY, ['--async-context']);
  t.after(() => server.kill('SIGKILL'));
  const slow = invoke(server.port, '400', { 'x-fc-request-id': 'bystander' });
  const stray = await invoke(server.port, 'stray', fcHeaders({ 'x-fc-request-id': 'culprit' }));
  assert.equal(stray.text, 'returned before the timer fired');
  const bystander = await slow;
  assert.equal(bystander.status, 200);
  assert.equal(bystander.text, 'slept 400');
  assert.equal(await server.exited, 1);
  const out = server.stdout();
  assert.match(out, / culprit \[error\] Uncaught exception outside a handler; shutting down: Error: stray timer with \[redacted\]/);
  assert.ok(!out.includes('very-secret-key-value-123'));
  assert.match(out, /FC Invoke End RequestId: bystander\n/);
});

test('a promise nobody awaited: logged (request id unknown without asyncContext), exit 1', async (t) => {
  const server = await spawnServer(STRAY);
  t.after(() => server.kill('SIGKILL'));
  assert.equal((await invoke(server.port, 'forgotten')).text, 'returned');
  assert.equal(await server.exited, 1);
  assert.match(server.stdout(), / - \[error\] Uncaught exception outside a handler; shutting down: Error: nobody awaited this/);
});
