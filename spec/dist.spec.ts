/**
 * The built package, as npm ships it: dist/fetch.js and dist/cli.js meet dist/index.js only at
 * the build's externals, so they carry no second copy of the runtime (one `GatewayError`, one
 * storage behind getContext()); a Fetch refusal through dist is FC's 400; getContext() works
 * under `node dist/cli.js serve --async-context`.
 *
 * dist/ comes from `npm ci` (its `prepare` builds). It is rebuilt here only when a source is newer
 * than it, so a clean run reads what `npm ci` built and never rewrites dist/ under another spec.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fcHeaders, invoke, send } from './helpers/http-client.js';
import { FIXTURES, ROOT } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';

const DIST = join(ROOT, 'dist');
const BUNDLES = ['index.js', 'fetch.js', 'cli.js'];
/** What the build reads besides lib/: a change to any of them makes dist/ stale. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];
/** esbuild heads each bundled module with its source path: `// lib/rules/errors.ts`. */
const MODULE_BANNER = /^\/\/ (lib\/\S+\.ts)$/gm;
/** A class definition as esbuild writes it (`var GatewayError = class extends Error`) or as written. */
const CLASS_DEFINITION = /^(?:var ([\w$]+) = class\b|class ([\w$]+)\b)/gm;
const LISTENING = /listening on [\d.]+:(\d+)/;

type Package = typeof import('../lib/index.js');

/** Newest modification time of a file under `dir`, in ms. */
function readNewestTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? readNewestTime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isDistStale(): boolean {
  let built = Infinity;
  try {
    for (const bundle of BUNDLES) built = Math.min(built, statSync(join(DIST, bundle)).mtimeMs);
  } catch {
    return true; // a bundle is missing
  }
  const sources = Math.max(readNewestTime(join(ROOT, 'lib')), ...BUILD_INPUTS.map((name) => statSync(join(ROOT, name)).mtimeMs));
  return sources > built;
}

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

before(async () => {
  // A source newer than dist/ (an edit since the last build): build what this run is about.
  if (!isDistStale()) return;
  const build = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const [code] = await once(build, 'exit') as [number | null];
  assert.equal(code, 0, 'npm run build failed');
});

test('dist/fetch.js and dist/cli.js carry no copy of the runtime: no module of it, none of its classes', () => {
  const runtimeClasses = listClasses(readBundle('index.js'));
  for (const name of ['GatewayError', 'Context', 'Runtime']) assert.ok(runtimeClasses.includes(name), `dist/index.js defines ${name}`);

  const fetchBundle = readBundle('fetch.js');
  const fetchModules = listModules(fetchBundle);
  assert.ok(fetchModules.includes('lib/fetch/adapter.ts'), `esbuild's module banners are in dist/fetch.js: ${fetchModules.join(', ')}`);
  // Anything outside the adapter's own folder would be a second copy of a module index.js bundles.
  assert.deepEqual(fetchModules.filter((path) => path !== 'lib/fetch.ts' && !path.startsWith('lib/fetch/')), []);

  const cliBundle = readBundle('cli.js');
  assert.match(cliBundle, /^import \{[^}]*\} from "\.\/index\.js";$/m, 'dist/cli.js takes the runtime from ./index.js');
  assert.deepEqual(listModules(cliBundle).filter((path) => path.startsWith('lib/runtime/') || path === 'lib/index.ts' || path === 'lib/server.ts'), []);

  for (const [name, bundle] of [['fetch.js', fetchBundle], ['cli.js', cliBundle]] as const) {
    assert.deepEqual(listClasses(bundle).filter((defined) => runtimeClasses.includes(defined)), [], `classes of dist/index.js defined again in dist/${name}`);
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

test('getContext() from the package, in handlers started by `node dist/cli.js serve --async-context`', { timeout: 20_000 }, async (t) => {
  const child = spawn(process.execPath, [join(DIST, 'cli.js'), 'serve', join(FIXTURES, 'dist-context.mjs'), '--async-context', '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => { child.kill('SIGKILL'); });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { err += chunk; });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const listening = LISTENING.exec(out);
      if (listening) resolve(Number(listening[1]));
    });
    child.on('exit', (code) => reject(new Error(`dist/cli.js exited (${code}) before listening:\n${out}\n${err}`)));
  });

  const event = await invoke(port, '', { 'x-fc-request-id': 'dist-event-1' });
  assert.equal(event.status, 200, event.text);
  assert.deepEqual(event.json(), { requestId: 'dist-event-1', same: true });

  const http = await send(port, { path: '/api/ctx', headers: fcHeaders({ 'x-fc-request-id': 'dist-fetch-1', 'x-fc-control-path': '/http-invoke' }) });
  assert.equal(http.status, 200, http.text);
  assert.deepEqual(http.json(), { requestId: 'dist-fetch-1', same: true, path: '/api/ctx' });
});
