import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ensureDist } from './helpers/dist.js';
import { ROOT } from './helpers/paths.js';

// Checks that `npm run bench` runs end to end on tiny settings, so the scripts cannot rot. It
// asserts that every section ran and reported each variant, never how fast anything was.
test('the benchmark runs end to end in smoke mode and reports every section', { timeout: 180_000 }, async () => {
  await ensureDist();
  const child = spawn(process.execPath, ['bench/run.mjs'], {
    cwd: ROOT,
    env: { ...process.env, BENCH_SMOKE: '1', BENCH_WRITE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { err += chunk; });
  // 'close', not 'exit': the report, printed last, may still be in the pipe at 'exit'.
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `bench exited ${code}:\n${err}`);
  for (const heading of ['## Targets', '## Throughput: POST /invoke', '## Throughput: GET /api/hello', '## Cold start', '## Memory', '## Oversize', '## Import cost', '## Image', '## Pairs loaded at once', '## WebSocket:', '## WebSocket relay:']) {
    assert.ok(out.includes(heading), `missing ${heading}`);
  }
  for (const variant of ['raw', 'raw-fc', 'fc-container', 'fc-container-fetch', 'fc-container-async', 'express', 'fastify', 'hono', 'ws-raw', 'ws-fc-container', 'direct', 'via-gateway', 'via-tcp-pipe']) {
    assert.match(out, new RegExp(`^\\| ${variant} \\| [\\d,.]+ \\|`, 'm'), `no numbers for ${variant}`);
  }
  for (const pair of ['fc-container / raw-fc', 'fc-container / fastify', 'hono-fc-container / hono', 'fc-container-fetch / raw']) {
    for (const workload of ['invoke', 'get']) assert.match(out, new RegExp(`^\\| ${pair} \\| ${workload} \\| [\\d,]+ \\| [\\d,]+ \\|`, 'm'), `no numbers for ${pair} ${workload}`);
  }
  assert.match(out, /^\| GET \/api\/hello: a Hono app on fc-container >= 1\.00x on @hono\/node-server \| \*\*(PASS|TIE|FAIL)\*\* \| [\d.]+x \(req\/s, both loaded at once/m, 'the Hono GET target is not judged on the pairs section');
  assert.match(out, /^\| require\('fc-container'\) \| [\d.]+ \|/m, 'no require row in the import-cost table');
  assert.match(out, /^\| WebSocket relay: gateway CPU per message <= 1\.0x the container's ws server \| \*\*(PASS|TIE|FAIL)\*\* \| [\d.]+x /m, 'no measured relay-cpu row in the targets table');
  assert.match(out, /^The floor: the bare TCP relay's CPU per message \(via-tcp-pipe\) \/ the container's \(direct\) [\d.]+x median/m, 'no relay floor');
  assert.match(out, /^\| node node_modules\/fc-container\/dist\/cli\.cjs serve handler\.mjs \(the README's CMD\) \| [\d.]+ \|/m, 'no cold start of the README\'s CMD');
  assert.match(out, /Installed footprint: 1 package\(s\) in the consumer's node_modules \(fc-container\)/);
  assert.doesNotMatch(out, /FAILED:/);
  assert.match(out, /\| fc-container \| 400 \|/, 'the 7 MiB event was not refused with 400');
});

test('bench verdicts: the confidence interval of a median of paired ratios, and PASS/TIE/FAIL from it', async () => {
  const { medianInterval, judgeInterval } = await import('../bench/lib/stats.mjs');
  const ranks = (n: number): number[] => Array.from({ length: n }, (_, i) => n - i);
  // Five rounds: only min..max reaches 90% (93.75%); thirty runs at 95%: the 10th to the 21st.
  assert.deepEqual(medianInterval(ranks(5), 0.9), { lo: 1, hi: 5, coverage: 1 - 2 / 32 });
  const thirty = medianInterval(ranks(30), 0.95);
  assert.deepEqual([thirty.lo, thirty.hi], [10, 21]);
  assert.ok(thirty.coverage >= 0.95 && thirty.coverage < 0.96, String(thirty.coverage));
  assert.equal(judgeInterval(1.06, 1.9, 1, { higherIsBetter: true, strict: true }), 'PASS');
  assert.equal(judgeInterval(0.94, 1.9, 1, { higherIsBetter: true, strict: true }), 'TIE');
  assert.equal(judgeInterval(1, 1.2, 1, { higherIsBetter: true, strict: true }), 'TIE');
  assert.equal(judgeInterval(0.8, 0.9, 1, { higherIsBetter: true }), 'FAIL');
  assert.equal(judgeInterval(1.03, 1.07, 1.08, { higherIsBetter: false }), 'PASS');
  assert.equal(judgeInterval(1.05, 1.09, 1.08, { higherIsBetter: false }), 'TIE');
});
