import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, spawnServer } from './helpers/child-server.js';
import { invoke, send } from './helpers/http-client.js';
import { ensureDist } from './helpers/dist.js';
import { DIST_CLI, FIXTURES, SOURCE_CLI } from './helpers/paths.js';

test('serve loads an ESM module\'s named exports', async (t) => {
  const server = await spawnServer(join('spec', 'fixtures', 'esm-handlers.mjs'));
  t.after(() => server.kill('SIGKILL'));
  assert.equal((await invoke(server.port, 'e')).text, 'esm:e');
  assert.equal((await send(server.port, { path: '/p?q=1' })).text, 'esm http /p?q=1');
});

test('serve loads a CommonJS module\'s exports', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'cjs-handlers.cjs'));
  t.after(() => server.kill('SIGKILL'));
  assert.equal((await invoke(server.port, 'e', { 'x-fc-request-id': 'r1' })).text, 'cjs:e:r1');
});

test('serve takes a default-exported object\'s functions as they are, called without this (as createServer calls them)', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'default-object.mjs'));
  t.after(() => server.kill('SIGKILL'));
  assert.equal((await invoke(server.port, 'e')).text, 'default:e:no this');
});

test('serve runs a real Express app exported as `export default { http: app }`: routes, 404 and its error handler', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'express-default-object.mjs'));
  t.after(() => server.kill('SIGKILL'));
  const hello = await send(server.port, { path: '/hello?name=fc', headers: { 'x-fc-request-id': 'xd-1' } });
  assert.equal(hello.status, 200);
  assert.equal(hello.text, 'hello fc');
  // Express got (req, res) only: a context passed as `next` would have answered these instead.
  assert.equal((await send(server.port, { path: '/nowhere' })).text, 'no route for GET /nowhere');
  const failed = await send(server.port, { path: '/fail' });
  assert.equal(failed.status, 500);
  assert.equal(failed.text, 'handled: a route failed');
  assert.match(server.stdout(), /FC Invoke Start RequestId: xd-1\nFC Invoke End RequestId: xd-1/);
});

test('serve runs the seed\'s Express app unchanged as the HTTP function (it implements /invoke itself)', async (t) => {
  const server = await spawnServer(join(FIXTURES, 'express-app.cjs'));
  t.after(() => server.kill('SIGKILL'));
  const event = await send(server.port, {
    method: 'POST', path: '/invoke', body: '{"a":1}',
    headers: { 'x-fc-control-path': '/invoke', 'content-type': 'application/octet-stream', 'x-fc-request-id': 'ex-1' },
  });
  assert.equal(event.text, 'Hello FunctionCompute, event function {"a":1}\n');
  assert.equal((await send(server.port, { method: 'POST', path: '/initialize' })).text, 'Hello FunctionCompute, /initialize\n');
  assert.equal((await send(server.port, { path: '/any/path' })).text, 'Hello FunctionCompute, http GET');
  // It still gets the runtime's markers.
  assert.match(server.stdout(), /FC Invoke Start RequestId: ex-1\nFC Invoke End RequestId: ex-1/);
});

test('a bad module path: one clear line, exit code 2', async () => {
  const { code, stderr } = await runCli(['serve', 'does/not/exist.mjs']);
  assert.equal(code, 2);
  assert.match(stderr, /^fc-container: cannot find module "does\/not\/exist.mjs"/);
  assert.equal(stderr.trim().split('\n').length, 1);
});

test('a module with no handler: one clear line, exit code 2', async () => {
  const { code, stderr } = await runCli(['serve', join(FIXTURES, 'no-handlers.mjs')]);
  assert.equal(code, 2);
  assert.match(stderr, /exports no handler: export one of initialize, invoke, http, fetch, upgrade, preStop, preFreeze/);
});

test('a module that throws while loading: one line with the cause and where, exit code 2', async () => {
  const { code, stderr } = await runCli(['serve', join(FIXTURES, 'throws-on-load.mjs')]);
  assert.equal(code, 2);
  assert.match(stderr, /^fc-container: cannot load ".*throws-on-load.mjs": Error: broken module \(at file:\/\/.*throws-on-load.mjs:1:7\)\n$/);
});

for (const [from, cli] of [['source', SOURCE_CLI], ['dist/cli.cjs', DIST_CLI]] as const) {
  test(`a module whose top-level await never settles: one line saying so, exit code 2, not a silent exit (${from})`, async () => {
    if (cli === DIST_CLI) await ensureDist();
    const { code, stderr } = await runCli(['serve', join(FIXTURES, 'never-settles.mjs')], {}, [...cli]);
    assert.equal(code, 2);
    assert.match(stderr, /^fc-container: cannot load ".*never-settles.mjs": its top-level await never settled .*\n$/);
  });
}

test('a blank FC_CUSTOM_LISTEN_PORT is not a port (as --port " " is not): one line, exit code 2, no random port', async () => {
  for (const [name, value] of [['FC_CUSTOM_LISTEN_PORT', ' '], ['FC_CUSTOM_LISTEN_PORT', '\t\n'], ['FC_SERVER_PORT', '  ']]) {
    const env = { FC_CUSTOM_LISTEN_PORT: undefined, FC_SERVER_PORT: undefined, [name]: value };
    const { code, stderr } = await runCli(['serve', join(FIXTURES, 'esm-handlers.mjs'), '--host', '127.0.0.1'], env);
    assert.equal(code, 2, `${name}=${JSON.stringify(value)}`);
    assert.equal(stderr, `fc-container: ${name} must be a port number from 0 to 65535, got ${JSON.stringify(value)}\n`);
  }
  const flag = await runCli(['serve', join(FIXTURES, 'esm-handlers.mjs'), '--host', '127.0.0.1', '--port', ' ']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--port needs a number, got " "/);
});

test('bad flags and unknown commands exit 2; --help documents every option', async () => {
  assert.equal((await runCli(['serve', 'x.mjs', '--nope'])).code, 2);
  assert.equal((await runCli(['frobnicate'])).code, 2);
  assert.equal((await runCli(['serve', join(FIXTURES, 'esm-handlers.mjs'), '--limits', 'fc9'])).code, 2);
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /serve <module>/);
  const help = await runCli(['serve', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--port', '--host', '--limits', '--health-path', '--shutdown-timeout', '--headers-timeout', '--log-level', '--no-markers', '--async-context']) {
    assert.ok(help.stdout.includes(flag), `--help lacks ${flag}`);
  }
});

test('the port comes from FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT', async (t) => {
  const { createServer } = await import('node:net');
  const free = async (): Promise<number> => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    return port;
  };
  const { spawn } = await import('node:child_process');
  for (const name of ['FC_CUSTOM_LISTEN_PORT', 'FC_SERVER_PORT']) {
    const port = await free();
    const env: Record<string, string | undefined> = { ...process.env, FC_CUSTOM_LISTEN_PORT: undefined, FC_SERVER_PORT: undefined, [name]: String(port) };
    const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'serve', join(FIXTURES, 'esm-handlers.mjs'), '--host', '127.0.0.1'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); }));
    assert.equal((await invoke(port, 'p')).text, 'esm:p', name);
    child.kill('SIGKILL');
  }
});

test('serve runs a module that calls serve() itself as the server, the command line\'s options its defaults (from source and from dist)', async (t) => {
  await ensureDist();
  for (const cli of [SOURCE_CLI, DIST_CLI]) {
    const server = await spawnServer(join(FIXTURES, 'serves-itself.cjs'), ['--health-path', '/healthz', '--no-markers'], {}, cli);
    t.after(() => server.kill('SIGKILL'));
    // --port 0 and --host 127.0.0.1 (spawnServer's) reached the module's own serve() call.
    assert.match(server.stdout(), /listening on 127\.0\.0\.1:\d+/);
    assert.equal((await send(server.port, { path: '/healthz' })).status, 200);
    assert.equal((await send(server.port, { path: '/x' })).text, 'served by the module');
    assert.doesNotMatch(server.stdout(), /FC Invoke Start/);
    assert.equal(server.stderr(), '');
  }
});
