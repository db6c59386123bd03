/**
 * The package as a container image holds it: packed once (`npm pack --ignore-scripts`, so no
 * build runs under the other specs), installed into a fresh function folder as the README's
 * Dockerfile does (`--omit=dev`, offline, then the Dockerfile's own `npm ci`), and started with
 * the CMD read from the README's ```dockerfile block, so the README cannot drift from what runs.
 * The install warns nothing about our scripts, the folder holds fc-container alone, and CommonJS
 * and ES module consumers type-check against the packed types.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnNode } from './helpers/child-server.js';
import { ensureDist } from './helpers/dist.js';
import { invoke } from './helpers/http-client.js';
import { ROOT } from './helpers/paths.js';

const run = promisify(execFile);
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** npm's own noise (its update notice, funding) is off; the rest of what it prints is checked. */
const NPM_QUIET = ['--no-audit', '--no-fund', '--no-update-notifier'];

let work: string;
let consumer: string;
let installOutput: string;

/** The body of the README's first fenced block with this info string. */
function readReadmeBlock(info: string): string {
  const match = new RegExp('^```' + info + '\\n([\\s\\S]*?)^```$', 'm').exec(README);
  assert.ok(match, `README has a \`\`\`${info} block`);
  return match[1]!;
}

/** The Dockerfile's CMD, exec form (a JSON array), and its RUN lines. */
function readDockerfile(): { cmd: string[]; runs: string[] } {
  const dockerfile = readReadmeBlock('dockerfile');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  assert.ok(cmd, 'the Dockerfile has an exec-form CMD');
  return { cmd: JSON.parse(cmd[1]!) as string[], runs: [...dockerfile.matchAll(/^RUN (.*)$/gm)].map((line) => line[1]!) };
}

/** The README's `handler.mjs`, from the block that starts with its name. */
function readReadmeHandler(): string {
  const match = /^```js\n(\/\/ handler\.mjs\n[\s\S]*?)^```$/m.exec(README);
  assert.ok(match, 'README has a ```js block starting `// handler.mjs`');
  return match[1]!;
}

before(async () => {
  await ensureDist();
  work = mkdtempSync(join(tmpdir(), 'fc-container-image-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, ...NPM_QUIET], { cwd: ROOT });
  const tarball = join(work, stdout.trim().split('\n').pop()!);
  consumer = join(work, 'function');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'function', version: '1.0.0', private: true }));
  writeFileSync(join(consumer, 'handler.mjs'), readReadmeHandler());
  // The function's developer adds the dependency (this writes package-lock.json) ...
  const added = await run('npm', ['install', '--omit=dev', '--offline', ...NPM_QUIET, tarball], { cwd: consumer });
  // ... and the image's build runs the Dockerfile's RUN line from that lock, offline here.
  rmSync(join(consumer, 'node_modules'), { recursive: true });
  const { runs } = readDockerfile();
  assert.deepEqual(runs, ['npm ci --omit=dev']);
  const built = await run('npm', ['ci', '--omit=dev', '--offline', ...NPM_QUIET], { cwd: consumer });
  installOutput = added.stdout + added.stderr + built.stdout + built.stderr;
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the README\'s Dockerfile starts Node itself: exec form, no npm or npx, the handler module named', () => {
  const { cmd } = readDockerfile();
  assert.equal(cmd[0], 'node');
  assert.ok(!cmd.some((part) => /\bnpx?\b/.test(part)), cmd.join(' '));
  assert.deepEqual(cmd.slice(1), ['node_modules/fc-container/dist/cli.cjs', 'serve', 'handler.mjs']);
  // COPY . . next to a .dockerignore that keeps a local node_modules out of the image.
  assert.match(readReadmeBlock('text'), /^# \.dockerignore\n(?:.*\n)*node_modules\n/);
});

test('installing the tarball warns nothing about fc-container or its scripts; node_modules holds fc-container alone', () => {
  const warnings = installOutput.split('\n').filter((line) => /^npm warn/i.test(line));
  assert.deepEqual(warnings.filter((line) => /fc-container|script/i.test(line)), [], installOutput);
  assert.deepEqual(readdirSync(join(consumer, 'node_modules')).filter((name) => !name.startsWith('.')), ['fc-container']);
  const installed = JSON.parse(readFileSync(join(consumer, 'node_modules', 'fc-container', 'package.json'), 'utf8')) as { dependencies?: object };
  assert.equal(installed.dependencies, undefined);
});

test('the Dockerfile\'s CMD, run in the installed folder, serves the README\'s handler on FC_CUSTOM_LISTEN_PORT', async (t) => {
  const { cmd } = readDockerfile();
  const server = await spawnNode(cmd.slice(1), { FC_CUSTOM_LISTEN_PORT: '0' }, consumer);
  t.after(() => server.kill('SIGKILL'));
  const reply = await invoke(server.port, '{"name":"image"}', { 'x-fc-request-id': 'image-1' });
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json(), { hello: 'image', requestId: 'image-1' });
  await server.waitForOutput(/FC Invoke Start RequestId: image-1\nFC Invoke End RequestId: image-1\n/);
});

test('`fc-container --version` and `-v` of the installed package print its version', async () => {
  for (const flag of ['--version', '-v']) {
    const { stdout } = await run(join(consumer, 'node_modules', '.bin', 'fc-container'), [flag], { cwd: consumer });
    assert.equal(stdout, `${VERSION}\n`);
  }
});

test('a .cts consumer (require) and an .mts consumer (import) type-check against the packed types, each through its own condition', async () => {
  const uses = `
const handlers: Handlers = { invoke: async (event, context) => ({ size: event.length, id: context.requestId }) };
export const listening: Promise<import('node:http').Server> = fc.serve(handlers, { profile: 'fc3', limits: { body: 1024 } });
export const isGatewayError = (error: unknown): boolean => error instanceof fc.GatewayError && error.code === 'FC_BAD_REQUEST';
export const gateway: Promise<emulator.Gateway> = emulator.createGateway({ command: ['node', 'server.js'], port: 0 });
// @ts-expect-error: serve() has no such option
fc.serve(handlers, { notAnOption: true });
`;
  writeFileSync(join(consumer, 'check.cts'), `import fc = require('fc-container');
import emulator = require('fc-container/emulator');
import type { Handlers } from 'fc-container';
${uses}`);
  writeFileSync(join(consumer, 'check.mts'), `import * as fc from 'fc-container';
import * as emulator from 'fc-container/emulator';
import type { Handlers } from 'fc-container';
${uses}`);
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false,
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files: ['check.cts', 'check.mts'],
  }));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const { stdout } = await run(process.execPath, [tsc, '-p', consumer, '--traceResolution'], { cwd: consumer, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout: string }) => {
    assert.fail(`tsc failed:\n${error.stdout.split('\n').filter((line) => /error TS/.test(line)).join('\n')}`);
  });
  // Which declaration each specifier resolved to, per importing file.
  const resolved = [...stdout.matchAll(/Module name '(fc-container(?:\/emulator)?)' was successfully resolved to '([^']+)'/g)].map((match) => `${match[1]} -> ${match[2]!.slice(match[2]!.indexOf('/dist/') + 1)}`);
  for (const expected of ['fc-container -> dist/index.d.cts', 'fc-container/emulator -> dist/emulator.d.cts', 'fc-container -> dist/index.d.ts', 'fc-container/emulator -> dist/emulator.d.ts']) {
    assert.ok(resolved.includes(expected), `${expected} in:\n${resolved.join('\n')}`);
  }
});
