/**
 * The examples under examples/ cannot rot: each one's package.json asks for what the root
 * installs, each one's s.yaml says what the example does (component, runtime, port, lifecycle
 * hooks, a health check it answers), and each is started as its image starts it, through
 * `fc-container serve` and behind `fc-container emulate`'s gateway, and called as its users call
 * it (FC's SDK for events, HTTP clients for HTTP functions). The MCP and WebSocket examples have
 * spec files of their own (examples-mcp, examples-websocket).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { ensureDist } from './helpers/dist.js';
import { EXAMPLES, emulateExample, linkPackage, listExamples, readCommand, startExample } from './helpers/examples.js';
import { createFc3Client, invokeFc3 } from './helpers/fc-sdk.js';
import { PROXY } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { FIXTURES, ROOT } from './helpers/paths.js';

const execFileAsync = promisify(execFile);

before(async () => {
  await ensureDist();
  linkPackage();
});

const ROOT_PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };

interface ExamplePackage { name: string; main: string; scripts: { start: string }; dependencies: Record<string, string>; devDependencies?: Record<string, string> }
interface LifecycleHook { handler?: string; timeout?: number }
interface FunctionProps {
  runtime?: string;
  customContainerConfig?: { port?: number; image?: string; healthCheckConfig?: { httpGetUrl?: string } };
  instanceLifecycleConfig?: { initializer?: LifecycleHook; preStop?: LifecycleHook };
}

function readPackage(name: string): ExamplePackage {
  return JSON.parse(readFileSync(join(EXAMPLES, name, 'package.json'), 'utf8')) as ExamplePackage;
}

/** The one fc3 resource of an example's s.yaml. */
function readResource(name: string): { component: string; props: FunctionProps } {
  const yaml = parseYaml(readFileSync(join(EXAMPLES, name, 's.yaml'), 'utf8')) as { edition: string; resources: Record<string, { component: string; props: FunctionProps }> };
  assert.equal(yaml.edition, '3.0.0', `${name}: s.yaml edition`);
  const resources = Object.values(yaml.resources);
  assert.equal(resources.length, 1, `${name}: one resource`);
  return resources[0]!;
}

/** The handler names the example's module exports (none for a module that serves itself). */
async function listHandlers(name: string): Promise<string[]> {
  const { main } = readPackage(name);
  // Run to its exit (a module that serves itself listens first; the fixture exits after the import).
  const { stdout } = await execFileAsync(process.execPath, [join(FIXTURES, 'list-handlers.mjs'), join(EXAMPLES, name, main)], {
    env: { ...process.env, FC_CUSTOM_LISTEN_PORT: '0' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as string[];
}

test('every example folder has its package.json, Dockerfile, .dockerignore and s.yaml, and the README links it', () => {
  const names = listExamples();
  assert.ok(names.length >= 10, names.join(', '));
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const name of names) {
    for (const file of ['package.json', 'Dockerfile', '.dockerignore', 's.yaml']) readFileSync(join(EXAMPLES, name, file));
    assert.match(readme, new RegExp(`\\]\\(examples/${name}/?\\)`), `README links examples/${name}`);
  }
});

for (const name of listExamples()) {
  test(`examples/${name}: its dependencies ask for ranges the root's dev dependencies satisfy, and its start script is its image's CMD`, () => {
    const pkg = readPackage(name);
    assert.equal(pkg.name, `fc-container-example-${name}`);
    for (const [dependency, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (dependency === ROOT_PACKAGE.name) {
        assert.ok(semver.satisfies(ROOT_PACKAGE.version, range), `${dependency}@${range} against this package's ${ROOT_PACKAGE.version}`);
        continue;
      }
      assert.ok(ROOT_PACKAGE.devDependencies[dependency], `${dependency} is a dev dependency of the root`);
      const installed = (JSON.parse(readFileSync(join(ROOT, 'node_modules', dependency, 'package.json'), 'utf8')) as { version: string }).version;
      assert.ok(semver.satisfies(installed, range), `${dependency}@${range} against the installed ${installed}`);
      assert.ok(semver.subset(ROOT_PACKAGE.devDependencies[dependency]!, range), `the root's ${dependency}@${ROOT_PACKAGE.devDependencies[dependency]} lies within ${range}`);
    }
    assert.equal(`node node_modules/fc-container/dist/cli.cjs ${pkg.scripts.start.replace(/^fc-container /, '')}`, readCommand(name).join(' '));
  });

  test(`examples/${name}: s.yaml deploys it as a custom container with its port, its lifecycle hooks and a health check it answers`, async () => {
    const { component, props } = readResource(name);
    assert.equal(component, 'fc3');
    assert.equal(props.runtime, 'custom-container');
    const container = props.customContainerConfig;
    assert.ok(container?.image, 'customContainerConfig.image');
    const handlers = await listHandlers(name);
    assert.equal(Boolean(props.instanceLifecycleConfig?.initializer?.handler), handlers.includes('initialize'), `initializer configured exactly when exported (${handlers.join(', ')})`);
    assert.equal(Boolean(props.instanceLifecycleConfig?.preStop?.handler), handlers.includes('preStop'), `preStop configured exactly when exported (${handlers.join(', ')})`);
    // Started with nothing but its CMD: it listens where FC would find it with that port.
    const child = await startExample(name, {}, []);
    try {
      const port = Number(/listening on [\d.:]+:(\d+)/.exec(child.stdout())![1]);
      assert.equal(container.port, port, 'customContainerConfig.port is the port it listens on');
      const path = container.healthCheckConfig?.httpGetUrl;
      assert.ok(path, 'healthCheckConfig.httpGetUrl');
      assert.equal((await send(port, { path })).status, 200, `GET ${path}`);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  });
}

test('examples/fc-event-sample: FC\'s own event sample answers FC\'s SDK through the gateway, and /invoke through serve', async (t) => {
  const child = await startExample('fc-event-sample');
  t.after(() => child.kill('SIGKILL'));
  const direct = await send(child.port, { method: 'POST', path: '/invoke', body: '{"order":1}', headers: { 'content-type': 'application/json' } });
  assert.equal(direct.text, 'Hello FunctionCompute, event function\n');
  await child.waitForOutput(/\{ order: 1 \}/);
  const { port } = await emulateExample(t, 'fc-event-sample');
  const reply = await invokeFc3(createFc3Client(port), 'my-function', '{"order":2}');
  assert.equal(reply.status, 200);
  assert.equal(reply.text, 'Hello FunctionCompute, event function\n');
});

test('examples/fc-http-sample: FC\'s own HTTP sample answers GET and POST through serve, and on both domains through the gateway', async (t) => {
  const child = await startExample('fc-http-sample');
  t.after(() => child.kill('SIGKILL'));
  assert.equal((await send(child.port, { path: '/any/path' })).text, 'Hello FunctionCompute, http GET');
  assert.equal((await send(child.port, { method: 'POST', path: '/', body: 'x' })).text, 'Hello FunctionCompute, http POST');
  const proxied = await emulateExample(t, 'fc-http-sample');
  assert.equal((await send(proxied.port, { path: `${PROXY}/any/path` })).text, 'Hello FunctionCompute, http GET');
  const custom = await emulateExample(t, 'fc-http-sample', { customDomain: true });
  assert.equal((await send(custom.port, { method: 'POST', path: '/submit', body: 'x' })).text, 'Hello FunctionCompute, http POST');
});

test('examples/event-esm: the Initializer runs once before the first event, the PreStop at shutdown; FC\'s SDK gets the result', async (t) => {
  const child = await startExample('event-esm');
  t.after(() => child.kill('SIGKILL'));
  const init = await send(child.port, { method: 'POST', path: '/initialize' });
  assert.equal(init.status, 200);
  const event = await send(child.port, { method: 'POST', path: '/invoke', body: '{"name":"fc"}' });
  assert.equal(event.json().hello, 'fc');
  assert.equal(typeof event.json().initializedBy, 'string');

  const gateway = await emulateExample(t, 'event-esm', { initializer: true, preStop: true });
  const client = createFc3Client(gateway.port);
  const first = JSON.parse((await invokeFc3(client, 'my-function', '{"name":"a"}')).text) as { hello: string; initializedBy: string; requestId: string };
  const second = JSON.parse((await invokeFc3(client, 'my-function', '{}')).text) as { hello: string; initializedBy: string; requestId: string };
  assert.equal(first.hello, 'a');
  assert.equal(second.hello, 'world');
  assert.equal(second.initializedBy, first.initializedBy, 'one Initializer for both events');
  assert.notEqual(first.requestId, first.initializedBy);
  assert.equal(gateway.initializations.length, 1);
  await gateway.gateway.close();
  await gateway.outWritten(/instance stopping/);
});

test('examples/express: routes, JSON bodies and getContext() through serve and behind the gateway\'s custom domain', async (t) => {
  const child = await startExample('express');
  t.after(() => child.kill('SIGKILL'));
  const order = await send(child.port, { path: '/api/orders/7', headers: { 'x-fc-request-id': 'req-7' } });
  assert.deepEqual(order.json(), { id: '7', requestId: 'req-7' });
  const { port } = await emulateExample(t, 'express', { customDomain: true });
  const created = await send(port, { method: 'POST', path: '/api/orders', body: '{"item":"tea"}', headers: { 'content-type': 'application/json' } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), { created: { item: 'tea' } });
  const fetched = await send(port, { path: '/api/orders/8' });
  assert.equal(fetched.json().requestId, fetched.headers['x-fc-request-id']);
});

test('examples/koa: a Koa app answers JSON and echoes bytes through serve and on the default domain through the gateway', async (t) => {
  const child = await startExample('koa');
  t.after(() => child.kill('SIGKILL'));
  assert.deepEqual((await send(child.port, { path: '/api/hello?name=koa' })).json(), { hello: 'koa' });
  const { port } = await emulateExample(t, 'koa');
  const echoed = await send(port, { method: 'POST', path: `${PROXY}/api/echo`, body: 'bytes', headers: { 'content-type': 'text/plain' } });
  assert.equal(echoed.text, 'bytes');
  assert.equal((await send(port, { path: `${PROXY}/nowhere` })).status, 404);
});

test('examples/hono: JSON in and out with the context as c.env, and server-sent events, through serve and the gateway', async (t) => {
  const child = await startExample('hono');
  t.after(() => child.kill('SIGKILL'));
  assert.deepEqual((await send(child.port, { path: '/api/hello?name=hono' })).json(), { hello: 'hono' });
  const created = await send(child.port, { method: 'POST', path: '/api/orders', body: '{"n":1}', headers: { 'content-type': 'application/json', 'x-fc-request-id': 'req-h' } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), { created: { n: 1 }, requestId: 'req-h' });
  const { port } = await emulateExample(t, 'hono', { customDomain: true });
  const events = await send(port, { path: '/api/events' });
  assert.equal(events.headers['content-type'], 'text/event-stream');
  assert.equal(events.text, 'data: 1\n\ndata: 2\n\ndata: 3\n\n');
});

test('examples/testing: its own Jest suite, written with fc-container/testing, passes and Jest exits on its own', async () => {
  const { stdout, stderr } = await execFileAsync(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--rootDir', join(EXAMPLES, 'testing'), '--ci'], { cwd: ROOT });
  const report = `${stdout}${stderr}`;
  assert.match(report, /Tests:\s+5 passed, 5 total/, report);
  // Jest's warning when a handle keeps the process alive after the tests.
  assert.doesNotMatch(report, /did not exit one second after the test run/);
});

test('examples/testing: the function its suite tests prices an order through serve and behind the gateway (FC\'s SDK)', async (t) => {
  const child = await startExample('testing');
  t.after(() => child.kill('SIGKILL'));
  assert.deepEqual((await send(child.port, { method: 'POST', path: '/invoke', body: '{"id":1,"items":["tea"]}' })).json(), { id: 1, total: 3 });
  const { port } = await emulateExample(t, 'testing', { initializer: true });
  const reply = await invokeFc3(createFc3Client(port), 'my-function', '{"id":2,"items":["cake","tea"]}');
  assert.deepEqual(JSON.parse(reply.text), { id: 2, total: 8 });
});
