/**
 * Built-ins other than node:http load on first use (lib/builtins.ts), so a cold start does not pay
 * for them; and they still load on a Node 20 without `process.getBuiltinModule` (before 20.16).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { spawnServer } from './helpers/child-server.js';
import { invoke } from './helpers/http-client.js';
import { FIXTURES, ROOT } from './helpers/paths.js';

test('the bundle imports node:http alone up front; other built-ins are not static imports', async () => {
  // The same bundle `npm run build` makes for dist/index.js.
  const result = await build({
    entryPoints: [join(ROOT, 'lib', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['./fetch.js'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const staticImports = [...new Set(output.imports.filter((entry) => entry.kind === 'import-statement').map((entry) => entry.path))];
  assert.deepEqual(staticImports, ['node:http']);
  const dynamicImports = [...new Set(output.imports.filter((entry) => entry.kind === 'dynamic-import').map((entry) => entry.path))].sort();
  assert.deepEqual(dynamicImports, ['./fetch.js', 'node:module']);
});

for (const [what, env] of [
  ['with process.getBuiltinModule', {}],
  ['without process.getBuiltinModule (Node before 20.16)', { NODE_OPTIONS: `--import ${pathToFileURL(join(FIXTURES, 'no-get-builtin.mjs')).href}` }],
] as const) {
  test(`${what}: context.logger formats, getContext() and context.signal work`, async (t) => {
    const server = await spawnServer(join(FIXTURES, 'builtins.mjs'), ['--async-context'], env);
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
