/**
 * The lines the runtime and the CLI print outside a handler's own log carry none of the function
 * role's credentials (a request's x-fc-access-key-secret / x-fc-security-token, another in-flight
 * request's, the environment's ALIBABA_CLOUD_*): an exception that escapes every handler (with
 * and without asyncContext), a module that fails to load, a refused request, a CLI error. Each
 * case runs its own `fc-container serve` child, and everything it printed (stdout and stderr)
 * and answered is scanned for any 12-character piece of a secret.
 *
 * What a handler prints itself, and its own errors, are in spec/secrets.spec.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, spawnServer, type ChildServer } from './helpers/child-server.js';
import { fcHeaders, invoke, send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { ENV, ENV_SECRET, KEY_ID, leaks, OTHER_SECRET, OTHER_TOKEN, SECRET, TOKEN } from './helpers/secrets.js';

const FATAL = join(FIXTURES, 'rel-secrets-fatal.mjs');

function credentials(id: string, secret = SECRET, token = TOKEN): Record<string, string> {
  return fcHeaders({ 'x-fc-request-id': id, 'x-fc-access-key-id': KEY_ID, 'x-fc-access-key-secret': secret, 'x-fc-security-token': token });
}

function assertNoLeak(text: string, what: string): void {
  assert.deepEqual(leaks(text), [], `${what} leaked a secret`);
}

/** Everything a child printed. */
function printed(server: ChildServer): string {
  return `${server.stdout()}\n${server.stderr()}`;
}

const UNCAUGHT = /\[error\] Uncaught exception outside a handler; shutting down: /;
const FOUR_REDACTED = '[redacted] [redacted] env [redacted] [redacted]';

for (const asyncContext of [false, true]) {
  const flags = asyncContext ? ['--async-context'] : [];
  const mode = asyncContext ? 'with asyncContext' : 'without asyncContext';
  const cases: [string, string, string][] = [
    // [event, the message's start, the request id the line must carry]
    ['timer', 'Error: timer failed with', asyncContext ? 'fatal-timer' : '-'],
    ['rejection', 'Error: rejected with', asyncContext ? 'fatal-rejection' : '-'],
    ['detached', 'Error: detached with', '-'],
  ];
  for (const [event, start, id] of cases) {
    test(`${mode}: an uncaught ${event} carrying the request's and the environment's keys is printed scrubbed; the request finishes; exit 1`, async (t) => {
      const server = await spawnServer(FATAL, flags, ENV);
      t.after(() => server.kill('SIGKILL'));
      const reply = await invoke(server.port, event, credentials(`fatal-${event}`));
      assert.equal(reply.text, 'drained');
      assert.equal(await server.exited, 1);
      const line = server.stdout().split('\n').find((text) => UNCAUGHT.test(text));
      assert.ok(line, `no uncaught line in:\n${server.stdout()}`);
      assert.ok(line.includes(` ${id} [error] `), line);
      assert.ok(line.includes(`${start} ${FOUR_REDACTED}`), line);
      assertNoLeak(printed(server), `the uncaught ${event}`);
    });
  }

  test(`${mode}: an uncaught exception carrying another in-flight request's keys is printed scrubbed`, async (t) => {
    const server = await spawnServer(FATAL, flags, ENV);
    t.after(() => server.kill('SIGKILL'));
    const holder = invoke(server.port, 'hold', credentials('fatal-holder'));
    await server.waitForOutput(/ fatal-holder \[info\] holding\n/);
    const thrower = await invoke(server.port, 'throw-cached', credentials('fatal-thrower', OTHER_SECRET, OTHER_TOKEN));
    assert.equal(thrower.text, 'drained');
    assert.equal((await holder).text, 'drained');
    assert.equal(await server.exited, 1);
    assert.match(server.stdout(), /Uncaught exception outside a handler; shutting down: Error: refresh failed with \[redacted\] \[redacted\]/);
    assertNoLeak(printed(server), 'another request\'s keys');
  });
}

test('a module that fails to load with the environment\'s keys in its error: one line, scrubbed, exit 2', async () => {
  const { code, stdout, stderr } = await runCli(['serve', join(FIXTURES, 'load-leaks-secret.mjs')], ENV);
  assert.equal(code, 2);
  assert.match(stderr, /^fc-container: cannot load ".*load-leaks-secret.mjs": Error: cannot sign in with \[redacted\] \(token \[redacted\]\) \(at .*load-leaks-secret.mjs:\d+:\d+\)\n$/);
  assertNoLeak(stdout + stderr, 'the load failure');
});

test('every other line the CLI fails with is scrubbed of the environment\'s keys', async () => {
  const missing = await runCli(['serve', `missing-${ENV_SECRET}.mjs`], ENV);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^fc-container: cannot find module "missing-\[redacted\].mjs"/);
  const port = await runCli(['serve', join(FIXTURES, 'esm-handlers.mjs'), '--port', ENV_SECRET], ENV);
  assert.equal(port.code, 2);
  assertNoLeak(missing.stderr + port.stderr, 'the CLI\'s errors');
});

test('refused requests: the log line and FC\'s error body show none of the request\'s or the environment\'s keys', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'rel-secrets-refusals.mjs'), [], ENV);
  t.after(() => server.kill('SIGKILL'));
  const cases: [string, Record<string, string>, number][] = [
    // An expectation the runtime cannot meet is echoed (cut to 100 characters) in its 417.
    ['expect-token', { expect: TOKEN }, 417],
    ['expect-env', { expect: `x ${ENV_SECRET}` }, 417],
    // A Host no Request can carry: the Fetch adapter refuses it, naming it.
    ['host-secret', { host: `a/${SECRET}` }, 400],
    ['host-env', { host: `a/${ENV_SECRET}` }, 400],
  ];
  for (const [id, extra, status] of cases) {
    const reply = await send(server.port, { path: '/x', headers: { ...credentials(`refused-${id}`), ...extra } });
    assert.equal(reply.status, status, id);
    await server.waitForOutput(new RegExp(`FC Invoke End RequestId: refused-${id}\\n`));
    assert.match(server.stdout(), new RegExp(` refused-${id} \\[warn\\] Request refused: .*\\[redacted\\]`), id);
    assert.match(reply.json().ErrorMessage, /\[redacted\]/, id);
    assertNoLeak(`${reply.text}\n${JSON.stringify(reply.rawHeaders)}`, `the ${id} reply`);
  }
  assertNoLeak(printed(server), 'the refusals');
});

test('an end() Node rejects with a key in its message: the error line and the 500 show no key', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'rel-secrets-send-failure.mjs'), [], ENV);
  t.after(() => server.kill('SIGKILL'));
  const reply = await send(server.port, { path: '/', headers: credentials('send-failure') });
  assert.equal(reply.status, 500);
  assert.equal(reply.json().errorMessage, 'Unknown encoding: [redacted]');
  assertNoLeak(`${reply.text}\n${JSON.stringify(reply.rawHeaders)}`, 'the 500');
  await server.waitForOutput(/FC Invoke End RequestId: send-failure\n/);
  assert.match(server.stdout(), /\[error\] TypeError: Unknown encoding: \[redacted\]/);
  assertNoLeak(printed(server), 'the failed end');
});
