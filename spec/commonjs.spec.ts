/**
 * CommonJS users, on the built package: `require` and `import` of every entry reach one
 * implementation, also where Node cannot `require` an ES module (`--no-experimental-require-module`
 * is what Node before 20.19 does); FC's own seed samples run as written with their listen lines
 * replaced by `require('fc-container').serve({ http: app })`; a `serve()` that cannot listen
 * prints one line naming the port and exits 1, awaited or not.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { runCli, runNode, spawnNode } from './helpers/child-server.js';
import { ensureDist } from './helpers/dist.js';
import { send } from './helpers/http-client.js';
import { EXAMPLES, linkPackage } from './helpers/examples.js';
import { DIST_CLI, FIXTURES, ROOT } from './helpers/paths.js';

const SEEDS = join(ROOT, '..', 'shared', 'seeds');
/** The one line that replaces a seed's `app.listen(...)`, as the README gives it. */
const SERVE_LINE = "require('fc-container').serve({ http: app });";
/** FC's two seed pages: where each sample's code starts and its last line. */
const SAMPLES = [
  { name: 'event', page: '000_59ab33a9df43948f.txt', last: 'server.keepAliveTimeout = 0; // keepalive, never timeout', replaced: 3 },
  { name: 'http', page: '002_9cc75a2b89138314.txt', last: 'console.log(`Running on http://${HOST}:${PORT}`);', replaced: 1 },
] as const;

before(async () => {
  await ensureDist();
  linkPackage();
});

/** A sample's code as its seed page prints it, from `'use strict';` to its last line. */
function readSeedSample(page: string, last: string): string {
  const text = readFileSync(join(SEEDS, page), 'utf8');
  const start = text.indexOf("'use strict';");
  const end = text.indexOf(last, start);
  assert.ok(start !== -1 && end !== -1, `the sample in ${page}`);
  return `${text.slice(start, end + last.length)}\n`;
}

/** A port nothing listens on, found by the kernel and released. */
async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Holds a port on every address, as another process would. */
async function takePort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

for (const flags of [[], ['--no-experimental-require-module']]) {
  test(`require and import of each entry are one implementation; the Fetch adapter is required on first use (node ${flags.join(' ') || 'with its defaults'})`, async () => {
    const { code, stdout, stderr } = await runNode([...flags, join(FIXTURES, 'commonjs', 'identity.cjs')]);
    assert.equal(code, 0, stderr);
    // Node's ExperimentalWarning for require(esm) would show here: nothing requires an ES module.
    assert.equal(stderr, '');
    assert.deepEqual(JSON.parse(stdout), {
      gatewayError: true,
      serve: true,
      createGateway: true,
      fetch: 'fetch /cjs',
      required: ['emulator.cjs', 'fetch.cjs', 'index.cjs'],
    });
  });
}

for (const sample of SAMPLES) {
  test(`FC's ${sample.name} sample differs from its seed page only in its listen lines, replaced by the one serve() line`, () => {
    const seed = readSeedSample(sample.page, sample.last).split('\n');
    const migrated = readFileSync(join(EXAMPLES, `fc-${sample.name}-sample`, 'index.js'), 'utf8').split('\n');
    // The listen lines: the app.listen(...) call and the lines that use what it returned.
    const listenLines = seed.filter((line) => line.includes('app.listen(') || line.startsWith('server.'));
    assert.equal(listenLines.length, sample.replaced, listenLines.join('\n'));
    const expected = seed.flatMap((line) => line.includes('app.listen(') ? [SERVE_LINE] : line.startsWith('server.') ? [] : [line]);
    assert.deepEqual(migrated, expected);
  });
}

test('FC\'s event sample, migrated: /initialize and /invoke answered by its Express routes, on FC_CUSTOM_LISTEN_PORT, with the markers', async (t) => {
  const port = await findFreePort();
  const server = await spawnNode([join(EXAMPLES, 'fc-event-sample', 'index.js')], { FC_CUSTOM_LISTEN_PORT: String(port) });
  t.after(() => server.kill('SIGKILL'));
  assert.equal(server.port, port);

  const init = await send(port, { method: 'POST', path: '/initialize', headers: { 'x-fc-request-id': 'seed-init-1', 'x-fc-control-path': '/initialize' } });
  assert.equal(init.status, 200, init.text);
  assert.equal(init.text, 'Hello FunctionCompute, /initialize\n');

  const event = await send(port, {
    method: 'POST',
    path: '/invoke',
    headers: { 'x-fc-request-id': 'seed-invoke-1', 'x-fc-control-path': '/invoke', 'content-type': 'application/octet-stream' },
    body: '{"order":7}',
  });
  assert.equal(event.status, 200, event.text);
  assert.equal(event.text, 'Hello FunctionCompute, event function\n');
  // The app's console.log(req.body) between the invocation's markers, as FC's log cuts it.
  await server.waitForOutput(/FC Invoke Start RequestId: seed-invoke-1\n\{ order: 7 \}\nFC Invoke End RequestId: seed-invoke-1\n/);
  assert.match(server.stdout(), /FC Initialize Start RequestId: seed-init-1\n\{\}\nFC Initialize End RequestId: seed-init-1\n/);
  assert.match(server.stdout(), /^Running on http:\/\/0\.0\.0\.0:9000\n/m);
});

test('FC\'s HTTP sample, migrated: GET and POST answered by its Express routes, on FC_CUSTOM_LISTEN_PORT, with the markers', async (t) => {
  const port = await findFreePort();
  const server = await spawnNode([join(EXAMPLES, 'fc-http-sample', 'index.js')], { FC_CUSTOM_LISTEN_PORT: String(port) });
  t.after(() => server.kill('SIGKILL'));
  assert.equal(server.port, port);

  for (const [method, expected] of [['GET', 'Hello FunctionCompute, http GET'], ['POST', 'Hello FunctionCompute, http POST']] as const) {
    const id = `seed-http-${method}`;
    const reply = await send(port, { method, path: '/orders/7?full=1', headers: { 'x-fc-request-id': id, 'x-fc-control-path': '/http-invoke' }, body: method === 'POST' ? 'x' : undefined });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.text, expected);
    await server.waitForOutput(new RegExp(`FC Invoke Start RequestId: ${id}\\nFC Invoke End RequestId: ${id}\\n`));
  }
});

for (const [form, args] of [
  ['the migrated CommonJS sample, serve() not awaited', [join(EXAMPLES, 'fc-http-sample', 'index.js')]],
  ['an ES module awaiting serve()', [join(FIXTURES, 'commonjs', 'listen-awaited.mjs')]],
] as const) {
  test(`a taken port, ${form}: one line naming the port, exit code 1`, async (t) => {
    const { port, server } = await takePort();
    t.after(() => server.close());
    const result = await runNode([...args], { FC_CUSTOM_LISTEN_PORT: String(port) });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, `fc-container: cannot listen on 0.0.0.0:${port}: the port is taken (EADDRINUSE)\n`);
    assert.doesNotMatch(result.stdout, /after serve|listening on/);
  });
}

test('a taken port under `fc-container serve`: the same line, exit code 1', async (t) => {
  const { port, server } = await takePort();
  t.after(() => server.close());
  const result = await runCli(['serve', join(FIXTURES, 'esm-handlers.mjs'), '--port', String(port)], {}, DIST_CLI);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr, `fc-container: cannot listen on 0.0.0.0:${port}: the port is taken (EADDRINUSE)\n`);
});
