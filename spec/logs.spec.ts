import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnServer } from './helpers/child-server.js';
import { fcHeaders, invoke, send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const FIXTURE = join(FIXTURES, 'logs.mjs');
const SECRET = 'very-secret-key-value-123';
const TOKEN = 'security-token-value-ABCDEFGH';

/** The lines of stdout that mention a request id, in order. */
function linesFor(stdout: string, id: string): string[] {
  return stdout.split('\n').filter((line) => line.includes(id));
}

test('markers wrap everything a handler prints, in order, for concurrent requests', async (t) => {
  const server = await spawnServer(FIXTURE);
  t.after(() => server.kill('SIGKILL'));
  const ids = Array.from({ length: 20 }, (_, i) => `order-${String(i).padStart(2, "0")}`);
  await Promise.all(ids.map((id) => invoke(server.port, 'print', { 'x-fc-request-id': id })));
  await send(server.port, { path: '/web', headers: { 'x-fc-request-id': 'web-1', 'x-fc-control-path': '/http-invoke' } });
  // The child wrote its markers before responding; this process reads the pipe asynchronously.
  await server.waitForOutput(/FC Invoke End RequestId: web-1\n/);
  const out = server.stdout();
  for (const id of ids) {
    const lines = linesFor(out, id);
    assert.equal(lines[0], `FC Invoke Start RequestId: ${id}`);
    assert.equal(lines.at(-1), `FC Invoke End RequestId: ${id}`);
    assert.equal(lines.length, 6, lines.join('\n'));
    assert.equal(lines[1], `console ${id}`);
    assert.match(lines[2]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${id} \\[info\\] logger ${id}$`));
    assert.match(lines[3]!, new RegExp(` ${id} \\[debug\\] debug line$`));
    assert.equal(lines[4], `raw ${id}`);
  }
  assert.deepEqual(linesFor(out, 'web-1'), ['FC Invoke Start RequestId: web-1', 'http web-1', 'FC Invoke End RequestId: web-1']);
  // debug lines print by default (level debug)
  assert.match(out, /\[debug\] debug line/);
});

test('the Initialize, PreStop and PreFreeze pairs name their kind', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'lifecycle.mjs'));
  t.after(() => server.kill('SIGKILL'));
  await send(server.port, { method: 'POST', path: '/initialize', headers: { 'x-fc-request-id': 'init-1' } });
  await send(server.port, { path: '/pre-freeze', headers: { 'x-fc-request-id': 'freeze-1' } });
  await send(server.port, { path: '/pre-stop', headers: { 'x-fc-request-id': 'stop-1' } });
  await server.waitForOutput(/FC PreStop End RequestId: stop-1\n/);
  const out = server.stdout();
  assert.deepEqual(linesFor(out, 'init-1'), ['FC Initialize Start RequestId: init-1', 'initializer ran', 'FC Initialize End RequestId: init-1'].map((l) => l.includes('ran') ? 'initializer ran init-1' : l));
  assert.deepEqual(linesFor(out, 'freeze-1'), ['FC PreFreeze Start RequestId: freeze-1', 'FC PreFreeze End RequestId: freeze-1']);
  assert.deepEqual(linesFor(out, 'stop-1'), ['FC PreStop Start RequestId: stop-1', 'FC PreStop End RequestId: stop-1']);
});

test('a request without x-fc-request-id gets a UUID-shaped local id, one per request, counting up, in its markers', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'lifecycle.mjs'));
  t.after(() => server.kill('SIGKILL'));
  for (let i = 0; i < 3; i++) await send(server.port, { path: '/pre-freeze' });
  await server.waitForOutput(/(FC PreFreeze End RequestId: \S+\n[^]*){3}/);
  const ids = [...server.stdout().matchAll(/FC PreFreeze Start RequestId: (\S+)\n/g)].map((m) => m[1]!);
  assert.equal(ids.length, 3);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const prefix = ids[0]!.slice(0, 24);
  assert.deepEqual(ids.map((id) => id.slice(0, 24)), [prefix, prefix, prefix]);
  const counts = ids.map((id) => parseInt(id.slice(24), 16));
  assert.deepEqual(counts, [counts[0], counts[0]! + 1, counts[0]! + 2]);
});

test('--log-level warn drops info and debug lines; --no-markers drops markers', async (t) => {
  const server = await spawnServer(FIXTURE, ['--log-level', 'warn', '--no-markers']);
  t.after(() => server.kill('SIGKILL'));
  await invoke(server.port, 'print', { 'x-fc-request-id': 'quiet-1' });
  await server.waitForOutput(/raw quiet-1\n/);
  assert.deepEqual(linesFor(server.stdout(), 'quiet-1'), ['console quiet-1', 'raw quiet-1']);
});

test('secrets appear in no runtime log line, error body or serialised context', async (t) => {
  const server = await spawnServer(FIXTURE, [], {
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'environment-secret-999',
  });
  t.after(() => server.kill('SIGKILL'));
  const headers = fcHeaders({ 'x-fc-request-id': 'secret-1' });
  const thrown = await invoke(server.port, 'throw-secret', headers);
  assert.equal(thrown.status, 404);
  assert.match(thrown.json().errorMessage, /cannot use \[redacted\] with \[redacted\]/);
  const logged = await invoke(server.port, 'log-context', headers);
  assert.equal(logged.status, 200);
  assert.equal(logged.json().credentials.accessKeySecret, '[redacted]');
  const carried = await invoke(server.port, 'error-with-context', headers);
  assert.equal(carried.status, 404);
  await invoke(server.port, 'env', headers);
  await server.waitForOutput(/secret-1 \[info\] token is/);
  const everything = server.stdout() + server.stderr() + thrown.text + logged.text + carried.text
    + JSON.stringify(thrown.headers) + JSON.stringify(logged.headers);
  for (const secret of [SECRET, TOKEN]) assert.ok(!everything.includes(secret), `leaked ${secret}:\n${everything}`);
  // The runtime printed the error (scrubbed) with the request id.
  assert.match(server.stdout(), /secret-1 \[error\] Error: cannot use \[redacted\] with \[redacted\]/);
  assert.match(server.stdout(), /secret-1 \[info\] token is \[redacted\]/);
});

test('no End marker is pending when the instance is frozen right after the response (SIGSTOP)', async (t) => {
  const server = await spawnServer(FIXTURE);
  t.after(() => { server.kill('SIGCONT'); server.kill('SIGKILL'); });
  for (let i = 0; i < 10; i++) {
    for (const kind of ['event', 'http'] as const) {
      const id = `freeze-${kind}-${i}`;
      const reply = kind === 'event'
        ? await invoke(server.port, 'ok', { 'x-fc-request-id': id })
        : await send(server.port, { path: '/f', headers: { 'x-fc-request-id': id } });
      // Freeze as FC does once it has the response: the child can print nothing more.
      server.kill('SIGSTOP');
      assert.equal(reply.status, 200);
      await server.waitForOutput(new RegExp(`FC Invoke End RequestId: ${id}\\n`), 2000);
      server.kill('SIGCONT');
    }
  }
});

test('--format-console: console.* inside a handler prints FC\'s format with the request id; outside, as is', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'console.mjs'), ['--format-console']);
  t.after(() => server.kill('SIGKILL'));
  await Promise.all(['c-1', 'c-2'].map((id) => invoke(server.port, '', fcHeaders({ 'x-fc-request-id': id }))));
  await server.waitForOutput(/FC Invoke End RequestId: c-1\n[^]*FC Invoke End RequestId: c-2\n|FC Invoke End RequestId: c-2\n[^]*FC Invoke End RequestId: c-1\n/);
  const out = server.stdout();
  for (const id of ['c-1', 'c-2']) {
    const lines = linesFor(out, id);
    assert.equal(lines.length, 6, lines.join('\n'));
    assert.match(lines[1]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${id} \\[info\\] log after await$`));
    assert.match(lines[2]!, new RegExp(` ${id} \\[warn\\] warn \\{ n: 1 \\}$`));
    assert.match(lines[3]!, new RegExp(` ${id} \\[error\\] secret \\[redacted\\]$`));
    assert.match(lines[4]!, new RegExp(` ${id} \\[debug\\] debug$`));
  }
  assert.match(out, /^module loaded$/m);
});

test('nothing queued is lost when the process exits mid-request', async (t) => {
  const server = await spawnServer(FIXTURE);
  t.after(() => server.kill('SIGKILL'));
  await invoke(server.port, 'ok', { 'x-fc-request-id': 'before-exit' });
  await invoke(server.port, 'exit', { 'x-fc-request-id': 'exit-1' }).catch(() => undefined);
  assert.equal(await server.exited, 3);
  assert.match(server.stdout(), /FC Invoke End RequestId: before-exit\nFC Invoke Start RequestId: exit-1\n$/);
});
