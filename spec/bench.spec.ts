import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ROOT } from './helpers.js';

// Checks that `npm run bench` runs end to end on tiny settings, so the scripts cannot rot. It
// asserts that every section ran and reported each variant, never how fast anything was.
test('the benchmark runs end to end in smoke mode and reports every section', { timeout: 180_000 }, async () => {
  const build = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  assert.equal(await new Promise((resolve) => build.on('exit', resolve)), 0, 'npm run build failed');
  const child = spawn(process.execPath, ['bench/run.mjs'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SMOKE: '1', BENCH_WRITE: '0', BENCH_VARIANTS: 'raw,raw-fc,fc-container,fc-container-fetch' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { err += chunk; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `bench exited ${code}:\n${err}`);
  for (const heading of ['## Targets', '## Throughput: POST /invoke', '## Throughput: GET /api/hello', '## Cold start', '## Memory', '## Oversize', '## Import cost']) {
    assert.ok(out.includes(heading), `missing ${heading}`);
  }
  for (const variant of ['raw', 'raw-fc', 'fc-container', 'fc-container-fetch']) {
    assert.match(out, new RegExp(`^\\| ${variant} \\| [\\d,.]+ \\|`, 'm'), `no numbers for ${variant}`);
  }
  assert.doesNotMatch(out, /FAILED:/);
  assert.match(out, /\| fc-container \| 400 \|/, 'the 7 MiB event was not refused with 400');
});
