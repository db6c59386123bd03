/**
 * The function role's credentials (x-fc-access-key-secret, x-fc-security-token, and
 * ALIBABA_CLOUD_ACCESS_KEY_SECRET / ALIBABA_CLOUD_SECURITY_TOKEN in the environment) appear in no
 * log line (the child's stdout and stderr), error body, response header, stack trace or inspected
 * object, whatever the handler throws, logs through `context.logger`, prints of the context, or
 * returns; with --format-console not even when it prints the raw values with console.*. And the
 * handler itself still reads the right values (it returns a hash of them).
 *
 * Each case runs alone against one `fc-container serve` child, so the output between its Start
 * and End markers, and what stderr gained meanwhile, are its own. Not asserted, as documented: a
 * handler writing a raw secret itself with process.stdout.write (or console.* without
 * --format-console), and the request headers an HTTP function reads.
 *
 * Already in spec/logs.spec.ts (a smaller set, on the fixture logs.mjs) and spec/context.spec.ts
 * (the context in-process); the lines printed outside any handler's own log (uncaught
 * exceptions, load failures, refusals) in spec/secrets-lines.spec.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { spawnServer, type ChildServer } from './helpers/child-server.js';
import { fcHeaders, send, type Reply } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { ENV, KEY_ID, leaks, SECRET, TOKEN } from './helpers/secrets.js';

const FINGERPRINT = createHash('sha256').update(`${KEY_ID}\n${SECRET}\n${TOKEN}`).digest('hex');

interface Evidence {
  reply: Reply | undefined;
  /** The child's stdout from this request's Start marker to its End marker. */
  out: string;
  /** What the child's stderr gained while the request ran. */
  err: string;
  /** All of it, as one text to scan. */
  all: string;
}

let server: ChildServer;

before(async () => {
  server = await spawnServer(join(FIXTURES, 'rel-secrets.mjs'), [], ENV);
});

after(() => server?.kill('SIGKILL'));

function headersFor(id: string, extra: Record<string, string> = {}): Record<string, string> {
  return fcHeaders({
    'x-fc-request-id': id,
    'x-fc-access-key-id': KEY_ID,
    'x-fc-access-key-secret': SECRET,
    'x-fc-security-token': TOKEN,
    ...extra,
  });
}

/** Sends one case, waits for its End marker, and gathers everything it produced. */
async function runCase(target: ChildServer, kind: 'Invoke' | 'Initialize' | 'PreFreeze', id: string,
  request: { method: string; path: string; body?: string; controlPath?: string }): Promise<Evidence> {
  const errBefore = target.stderr().length;
  const reply = await send(target.port, {
    method: request.method,
    path: request.path,
    headers: headersFor(id, request.controlPath ? { 'x-fc-control-path': request.controlPath } : {}),
    body: request.body,
  }).catch(() => undefined);
  await target.waitForOutput(new RegExp(`FC ${kind} End RequestId: ${id}\\n`));
  // stderr is a separate pipe: give it a moment to catch up with stdout.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const stdout = target.stdout();
  const out = stdout.slice(stdout.indexOf(`FC ${kind} Start RequestId: ${id}\n`), stdout.indexOf(`FC ${kind} End RequestId: ${id}\n`));
  const err = target.stderr().slice(errBefore);
  const all = [out, err, reply?.text ?? '', JSON.stringify(reply?.rawHeaders ?? [])].join('\n');
  return { reply, out, err, all };
}

function assertNoLeak(evidence: Evidence, what: string): void {
  assert.deepEqual(leaks(evidence.all), [], `${what} leaked a secret`);
}

const invokeCase = (name: string): Promise<Evidence> =>
  runCase(server, 'Invoke', `sec-${name}`, { method: 'POST', path: '/invoke', body: name, controlPath: '/invoke' });

const httpCase = (path: string): Promise<Evidence> =>
  runCase(server, 'Invoke', `sec-http${path.replace(/\//g, '-')}`, { method: 'GET', path, controlPath: '/http-invoke' });

// ---------------------------------------------------------------------------------------------

test('an Initializer that throws with the secret: 404 with it scrubbed from errorMessage, stack and log; the next run succeeds', async () => {
  const failed = await runCase(server, 'Initialize', 'sec-init-1', { method: 'POST', path: '/initialize', controlPath: '/initialize' });
  assertNoLeak(failed, 'the Initializer\'s error');
  assert.equal(failed.reply?.status, 404);
  assert.equal(failed.reply!.json().errorMessage, 'initializer failed with [redacted]');
  assert.match(failed.out, /sec-init-1 \[error\] Error: initializer failed with \[redacted\]/);
  const ok = await runCase(server, 'Initialize', 'sec-init-2', { method: 'POST', path: '/initialize', controlPath: '/initialize' });
  assert.equal(ok.reply?.text, 'initialized');
});

test('the handler reads the real values (event, HTTP): it returns a hash of key id, secret and token', async () => {
  const event = await invokeCase('read');
  assert.equal(event.reply?.text, FINGERPRINT);
  const web = await httpCase('/read');
  assert.equal(web.reply?.text, FINGERPRINT);
});

const PRINTED: [string, string][] = [
  ['print-context', 'console.log/error/dir/table of the context and its credentials (plain, %o, %O, %j, spread, Object.assign)'],
  ['inspect-context', 'util.inspect(context, { showHidden, depth: Infinity, getters }), of the credentials, nested, format(%o %O %j)'],
  ['stringify-context', 'JSON.stringify of the context, its credentials and an object holding both'],
  ['logger', 'context.logger: %o of the context, the credentials, the raw secret and token, an Error with the token, the environment\'s'],
];

for (const [name, what] of PRINTED) {
  test(`${what}: nothing printed shows a secret`, async () => {
    const evidence = await invokeCase(name);
    assert.equal(evidence.reply?.status, 200, evidence.reply?.text);
    assertNoLeak(evidence, what);
    assert.match(evidence.out + evidence.err, /\[redacted\]/, 'the secrets were there, redacted');
  });
}

test('context.logger scrubs what it is handed outright: "secret is [redacted]", "[redacted]|[redacted]"', async () => {
  const evidence = await invokeCase('logger');
  assert.match(evidence.out, / sec-logger \[warn\] secret is \[redacted\]\n/);
  assert.match(evidence.out, / sec-logger \[info\] \[redacted\]\|\[redacted\]\n/);
  assert.match(evidence.out, / sec-logger \[info\] env \[redacted\] \[redacted\]\n/);
});

const RETURNED: [string, (reply: Reply) => void][] = [
  ['return-context', (reply) => assert.equal(reply.json().credentials.accessKeySecret, '[redacted]')],
  ['return-credentials', (reply) => assert.deepEqual(reply.json(), { accessKeyId: KEY_ID, accessKeySecret: '[redacted]', securityToken: '[redacted]' })],
  ['return-wrapped', (reply) => assert.equal(reply.json().list[0].securityToken, '[redacted]')],
];

for (const [name, check] of RETURNED) {
  test(`${name}: the result body carries no secret`, async () => {
    const evidence = await invokeCase(name);
    assert.equal(evidence.reply?.status, 200);
    assertNoLeak(evidence, name);
    check(evidence.reply!);
  });
}

const THROWN: [string, string | undefined][] = [
  // [case, the errorMessage FC's error body must carry]
  ['throw-carrying-context', 'carrying the context'],
  ['throw-carrying-credentials', 'carrying the credentials'],
  ['throw-message', 'cannot use [redacted] with [redacted]'],
  ['reject-message', 'rejected: [redacted]'],
  ['throw-cause', 'outer'],
  ['throw-aggregate', 'several: [redacted]'],
  ['throw-string', 'a thrown string with [redacted]'],
  ['throw-object', 'an object [redacted]'],
  ['throw-credentials', undefined],
  ['throw-context', undefined],
  ['throw-env', 'env [redacted] [redacted]'],
  ['throw-name', 'an error whose name carries the secret'],
  ['throw-errortype', 'an error whose errorType carries the token'],
];

for (const [name, message] of THROWN) {
  test(`${name}: 404 error body, stack trace and error log line carry no secret`, async () => {
    const evidence = await invokeCase(name);
    assert.equal(evidence.reply?.status, 404);
    assert.equal(evidence.reply!.headers['x-fc-status'], '404');
    if (message !== undefined) assert.equal(evidence.reply!.json().errorMessage, message);
    assert.match(evidence.out, new RegExp(` sec-${name} \\[error\\] `), 'the runtime logged the error');
    assertNoLeak(evidence, name);
  });
}

const HTTP_FAILURES: [string, number][] = [
  ['/throw', 500],
  ['/reject', 500],
  ['/throw-req', 500],
  ['/throw-name', 500],
  ['/stream-error', 500],
];

for (const [path, status] of HTTP_FAILURES) {
  test(`a Node-style HTTP function failing (${path}): ${status} JSON body and log carry no secret`, async () => {
    const evidence = await httpCase(path);
    assert.equal(evidence.reply?.status, status, evidence.reply?.text);
    assert.equal(evidence.reply!.headers['x-fc-status'], '404');
    assert.deepEqual(Object.keys(evidence.reply!.json()).sort(), ['errorMessage', 'errorType']);
    assertNoLeak(evidence, path);
  });
}

test('a Node-style HTTP function throwing with the token after its headers went out: the log carries no secret', async () => {
  const evidence = await httpCase('/after-headers');
  assertNoLeak(evidence, 'the late failure');
  assert.match(evidence.out, /\[error\] Error: after the headers \[redacted\]/);
});

test('a Node-style HTTP function printing the context every way: nothing printed shows a secret', async () => {
  const evidence = await httpCase('/print');
  assert.equal(evidence.reply?.text, 'printed');
  assertNoLeak(evidence, 'the HTTP prints');
});

test('a failing preFreeze hook: its 404 body and log line carry no secret', async () => {
  const evidence = await runCase(server, 'PreFreeze', 'sec-freeze', { method: 'GET', path: '/pre-freeze' });
  assert.equal(evidence.reply?.status, 404);
  assert.equal(evidence.reply!.json().errorMessage, 'preFreeze failed with [redacted]');
  assertNoLeak(evidence, 'preFreeze');
});

test('the child\'s whole stdout and stderr, across every case above, show no secret', () => {
  assert.deepEqual(leaks(server.stdout() + '\n' + server.stderr()), []);
  assert.match(server.stdout(), /\[redacted\]/);
});

test('--format-console: console.* of the raw secret, token, credentials and environment values is scrubbed; the handler reads them', async (t) => {
  const formatted = await spawnServer(join(FIXTURES, 'rel-secrets-console.mjs'), ['--format-console'], ENV);
  t.after(() => formatted.kill('SIGKILL'));
  const event = await runCase(formatted, 'Invoke', 'fmt-1', { method: 'POST', path: '/invoke', body: '', controlPath: '/invoke' });
  assert.equal(event.reply?.text, FINGERPRINT);
  assertNoLeak(event, 'console.* under --format-console');
  assert.match(event.out, / fmt-1 \[info\] \[redacted\]\n/);
  assert.match(event.out, / fmt-1 \[info\] token=\[redacted\]\n/);
  assert.match(event.out, / fmt-1 \[warn\] \[redacted\]\[redacted\]\n/);
  assert.match(event.out, / fmt-1 \[info\] \[redacted\] \[redacted\]\n/);
  const web = await runCase(formatted, 'Invoke', 'fmt-2', { method: 'GET', path: '/x', controlPath: '/http-invoke' });
  assert.equal(web.reply?.text, 'ok');
  assert.match(web.out, / fmt-2 \[info\] http \[redacted\] \[redacted\]\n/);
  assert.deepEqual(leaks(formatted.stdout() + formatted.stderr()), []);
});
