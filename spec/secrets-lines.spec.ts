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
import { FIXTURES, fcHeaders, invoke, runCli, send, spawnServer, type ChildServer } from './helpers.js';
import { ENV, ENV_SECRET, KEY_ID, leaks, OTHER_SECRET, OTHER_TOKEN, SECRET, TOKEN } from './secret-values.js';

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
