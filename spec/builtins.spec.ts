/**
 * Built-ins other than node:http load on first use (lib/runtime/builtins.ts), so a cold start does
 * not pay for them; and they still load on a Node 20 without `process.getBuiltinModule` (before
 * 20.16), where the CommonJS build uses its own `require`.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnServer } from './helpers/child-server.js';
import { DIST, ensureDist } from './helpers/dist.js';
import { invoke } from './helpers/http-client.js';
import { DIST_CLI, FIXTURES, SOURCE_CLI } from './helpers/paths.js';

/** A `require("...")` of a string, as esbuild writes it; at the start of a line, a load at module scope. */
const REQUIRE_CALL = /require\("([^"]+)"\)/g;
const TOP_LEVEL_REQUIRE = /^var [\w$]+ = require\("([^"]+)"\);$/gm;

before(ensureDist);

test('dist/index.cjs requires node:http alone up front; the Fetch adapter is required on first use; nothing is import()ed', () => {
  const bundle = readFileSync(join(DIST, 'index.cjs'), 'utf8');
  assert.deepEqual([...new Set([...bundle.matchAll(TOP_LEVEL_REQUIRE)].map((match) => match[1]))], ['node:http']);
  assert.deepEqual([...new Set([...bundle.matchAll(REQUIRE_CALL)].map((match) => match[1]))].sort(), ['./fetch.cjs', 'node:http']);
  // The one import() is the branch for source under tsx, behind `typeof require === 'function'`.
  assert.deepEqual(bundle.match(/\bimport\(/g), ['import(']);
  assert.match(bundle, /typeof require === "function" \? Promise\.resolve\(require\("\.\/fetch\.cjs"\)\) : import\(/);
});

for (const [what, env, cli, fixture] of [
  ['from source, with process.getBuiltinModule', {}, SOURCE_CLI, 'builtins.mjs'],
  ['built, without process.getBuiltinModule (Node before 20.16)', { NODE_OPTIONS: `--import ${pathToFileURL(join(FIXTURES, 'no-get-builtin.mjs')).href}` }, DIST_CLI, 'builtins.cjs'],
] as const) {
  test(`${what}: context.logger formats, getContext() and context.signal work`, async (t) => {
    const server = await spawnServer(join(FIXTURES, fixture), ['--async-context'], env, [...cli]);
    t.after(() => server.kill('SIGKILL'));
    const reply = await invoke(server.port, '', { 'x-fc-request-id': 'builtins-1' });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(JSON.parse(reply.text), {
      requestId: 'builtins-1',
      signalAborted: false,
      getBuiltinModule: 'NODE_OPTIONS' in env ? 'undefined' : 'function',
    });
    await server.waitForOutput(/\[info\] formatted \{ nested: \{ list: \[ 1, 2, \[length\]: 2 \] \} \}/);
  });
}
