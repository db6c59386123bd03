/**
 * The built package, as npm ships it: one CommonJS implementation (dist/*.cjs) that the ES module
 * entries re-export. dist/fetch.cjs and dist/cli.cjs meet dist/index.cjs only at the build's
 * externals, so they carry no second copy of the runtime (one `GatewayError`, one storage behind
 * getContext()); a Fetch refusal through dist is FC's 400; getContext() works under
 * `node dist/cli.cjs serve --async-context` for an ES module and a CommonJS handler module.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnServer } from './helpers/child-server.js';
import { DIST, ensureDist } from './helpers/dist.js';
import { fcHeaders, invoke, send } from './helpers/http-client.js';
import { DIST_CLI, FIXTURES } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';

/** esbuild heads each bundled module with its source path: `// lib/rules/errors.ts`. */
const MODULE_BANNER = /^\/\/ (lib\/\S+\.ts)$/gm;
/** A class definition as esbuild writes it (`var GatewayError = class extends Error`) or as written. */
const CLASS_DEFINITION = /^(?:var ([\w$]+) = class\b|class ([\w$]+)\b)/gm;

type Package = typeof import('../lib/index.js');
const requireDist = createRequire(join(DIST, 'index.cjs'));

function readBundle(name: string): string {
  return readFileSync(join(DIST, name), 'utf8');
}

/** The source modules a bundle holds, by esbuild's banners. */
function listModules(bundle: string): string[] {
  return [...new Set([...bundle.matchAll(MODULE_BANNER)].map((match) => match[1]!))];
}

function listClasses(bundle: string): string[] {
  return [...bundle.matchAll(CLASS_DEFINITION)].map((match) => match[1] ?? match[2]!);
}

before(ensureDist);

test('dist/fetch.cjs, dist/cli.cjs and dist/testing.cjs carry no copy of the runtime: no module of it, none of its classes', () => {
  const runtimeClasses = listClasses(readBundle('index.cjs'));
  for (const name of ['GatewayError', 'Context', 'Runtime']) assert.ok(runtimeClasses.includes(name), `dist/index.cjs defines ${name}`);

  const fetchBundle = readBundle('fetch.cjs');
  const fetchModules = listModules(fetchBundle);
  assert.ok(fetchModules.includes('lib/fetch/adapter.ts'), `esbuild's module banners are in dist/fetch.cjs: ${fetchModules.join(', ')}`);
  // Anything outside the adapter's own folder would be a second copy of a module index.cjs bundles.
  assert.deepEqual(fetchModules.filter((path) => path !== 'lib/fetch.ts' && !path.startsWith('lib/fetch/')), []);

  const cliBundle = readBundle('cli.cjs');
  assert.match(cliBundle, /^var [\w$]+ = require\("\.\/index\.cjs"\);$/m, 'dist/cli.cjs takes the runtime from ./index.cjs');
  // The emulator is required for `emulate` only (the one import() is the branch for source under tsx).
  assert.match(cliBundle, /typeof require === "function" \? require\("\.\/emulator\.cjs"\) : await import\("\.\/emulator\.cjs"\)/);
  assert.doesNotMatch(cliBundle, /^var [\w$]+ = require\("\.\/emulator\.cjs"\);$/m);
  assert.deepEqual(listModules(cliBundle).filter((path) => path.startsWith('lib/runtime/') || path === 'lib/index.ts' || path === 'lib/server.ts'), []);

  const testingBundle = readBundle('testing.cjs');
  assert.match(testingBundle, /^var [\w$]+ = require\("\.\/index\.cjs"\);$/m, 'dist/testing.cjs takes the runtime from ./index.cjs');
  assert.deepEqual(listModules(testingBundle).filter((path) => path.startsWith('lib/runtime/') || path === 'lib/index.ts' || path === 'lib/server.ts'), []);

  for (const [name, bundle] of [['fetch.cjs', fetchBundle], ['cli.cjs', cliBundle], ['testing.cjs', testingBundle]] as const) {
    assert.deepEqual(listClasses(bundle).filter((defined) => runtimeClasses.includes(defined)), [], `classes of dist/index.cjs defined again in dist/${name}`);
  }
});

test('the ES module entries hold no code: each requires its .cjs and exports every name of it', async () => {
  for (const entry of ['index', 'emulator', 'testing']) {
    const source = readBundle(`${entry}.js`);
    // A require through createRequire: an `export ... from './x.cjs'` would make Node lex the bundle.
    assert.match(source, new RegExp(`^import \\{ createRequire \\} from 'node:module';\\nconst \\{ ([\\w$, ]+) \\} = createRequire\\(import\\.meta\\.url\\)\\('\\./${entry}\\.cjs'\\);\\nexport \\{ \\1 \\};\\n$`), source);
    const esm = await import(pathToFileURL(join(DIST, `${entry}.js`)).href) as Record<string, unknown>;
    const cjs = requireDist(`./${entry}.cjs`) as Record<string, unknown>;
    assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort(), `dist/${entry}.js names every export`);
    for (const name of Object.keys(esm)) assert.equal(esm[name], cjs[name], `${entry}: ${name} is the CommonJS one`);
  }
});

test('a request no Request can represent, to a fetch handler of dist/index.js\'s createServer: FC\'s 400', { timeout: 20_000 }, async (t) => {
  const { createServer } = await import(pathToFileURL(join(DIST, 'index.js')).href) as Package;
  let calls = 0;
  const server: Server = createServer({ fetch: () => { calls++; return new Response('x'); } }, { markers: false, logLevel: 'silent' });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as { port: number };

  // The 400 is the runtime's answer to its own GatewayError, made by dist/fetch.js through the
  // injected badRequest; a GatewayError of another copy would be the function's error, a 500.
  for (const request of [
    'GET /api HTTP/1.1\r\nHost: evil.example/admin?\r\nConnection: close\r\n\r\n',
    'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ]) {
    const raw = await sendRaw(port, request);
    assert.match(raw, /^HTTP\/1\.1 400 /, raw);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    assert.equal(body.ErrorCode, 'InvalidArgument', raw);
    assert.match(String(body.ErrorMessage), /^Malformed HTTP request \((?:Invalid Host header|.*TRACE)/, raw);
  }
  // The adapter was loaded (it made the refusals) and never called the handler.
  assert.equal(calls, 0);
});

for (const fixture of ['dist-context.mjs', 'dist-context.cjs']) {
  test(`getContext() from the package, in handlers of ${fixture} started by \`node dist/cli.cjs serve --async-context\``, { timeout: 20_000 }, async (t) => {
    const server = await spawnServer(join(FIXTURES, fixture), ['--async-context'], {}, DIST_CLI);
    t.after(() => server.kill('SIGKILL'));

    const event = await invoke(server.port, '', { 'x-fc-request-id': 'dist-event-1' });
    assert.equal(event.status, 200, event.text);
    assert.deepEqual(event.json(), { requestId: 'dist-event-1', same: true });

    const http = await send(server.port, { path: '/api/ctx', headers: fcHeaders({ 'x-fc-request-id': 'dist-fetch-1', 'x-fc-control-path': '/http-invoke' }) });
    assert.equal(http.status, 200, http.text);
    assert.deepEqual(http.json(), { requestId: 'dist-fetch-1', same: true, path: '/api/ctx' });
  });
}
