/**
 * How `fc-container serve` loads the handler module under dist/cli.cjs (the image's CMD): a
 * CommonJS file is `require`d, so Node's ES module loader is never started for it (about 2 ms of
 * cold start); an ES module in a `.js` file, which `require` refuses on Node 20, is `import()`ed
 * instead, and a module `.mjs` as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnServer } from './helpers/child-server.js';
import { ensureDist } from './helpers/dist.js';
import { invoke, send } from './helpers/http-client.js';
import { DIST_CLI, FIXTURES } from './helpers/paths.js';

test('a CommonJS handler module is required: Node\'s ES module loader never starts', { timeout: 20_000 }, async (t) => {
  await ensureDist();
  const server = await spawnServer(join(FIXTURES, 'loader-probe.cjs'), [], {}, DIST_CLI);
  t.after(() => server.kill('SIGKILL'));
  const reply = await send(server.port, { path: '/' });
  assert.equal(reply.status, 200, reply.text);
  const loaded = reply.json() as string[];
  for (const internal of ['loader', 'translators', 'module_job']) {
    assert.ok(!loaded.includes(`NativeModule internal/modules/esm/${internal}`), `${internal} was loaded: ${loaded.join(', ')}`);
  }
});

test('an ES module in a .js file, which require refuses, is imported instead', { timeout: 20_000 }, async (t) => {
  await ensureDist();
  const server = await spawnServer(join(FIXTURES, 'esm-in-js.js'), [], {}, DIST_CLI);
  t.after(() => server.kill('SIGKILL'));
  const reply = await invoke(server.port, 'hi');
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.text, 'esm-js:hi');
});
