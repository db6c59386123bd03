/**
 * `fc-container emulate --check`: FC's contract checked against a container in any language.
 * Each fixture fails its check for its reason; fc-container and a well-configured Python server
 * pass; FC's own seed samples, as written, fail and warn where they break FC's contract.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/child-server.js';
import { ensureDist } from './helpers/dist.js';
import { startServer } from './helpers/local-server.js';
import { DIST_CLI, FIXTURES, ROOT } from './helpers/paths.js';

const NODE_FIXTURE = join(FIXTURES, 'check', 'server.cjs');
const PYTHON_FIXTURE = join(FIXTURES, 'check', 'server.py');

interface Report { ok: boolean; pass: number; warn: number; fail: number; skip: number; checks: { id: string; verdict: string; seen: string; fix?: string }[] }

/** Runs the check with `--json`; the exit code and the report. */
async function check(flags: string[], command: string[] | undefined, env: Record<string, string> = {}): Promise<{ code: number | null | 'listening'; report: Report; verdicts: Record<string, string> }> {
  const args = ['emulate', '--check', '--json', '--stop-timeout', '2', ...flags, ...(command ? ['--', ...command] : [])];
  const { code, stdout, stderr } = await runCli(args, env);
  assert.ok(stdout.startsWith('{'), `${stdout}\n${stderr}`);
  const report = JSON.parse(stdout) as Report;
  return { code, report, verdicts: Object.fromEntries(report.checks.map((c) => [c.id, c.verdict])) };
}

const fixOf = (report: Report, id: string): string => report.checks.find((c) => c.id === id)?.fix ?? '';

test('fc-container passes every check: start, bind, Initializer twice, invoke, keep-alive, headers, markers, concurrency, PreStop, SIGTERM', async () => {
  await ensureDist();
  const { code, report, verdicts } = await check(['--initializer', '--pre-stop', '--concurrency', '4', '--idle', '2'], [process.execPath, ...DIST_CLI, 'serve', join(FIXTURES, 'check', 'fc-function.mjs')]);
  assert.equal(code, 0, JSON.stringify(report, null, 2));
  assert.deepEqual(verdicts, {
    start: 'PASS', 'bind-address': 'PASS', initialize: 'PASS', invoke: 'PASS', 'keep-alive-2s': 'PASS',
    'response-headers': 'PASS', markers: 'PASS', concurrency: 'PASS', 'pre-stop': 'PASS', sigterm: 'PASS',
  });
  assert.equal(report.ok, true);
});

test('a bare node:http server with its faults: loopback only, a short keep-alive, an /initialize that fails the second time FAIL; no markers, server:, ignoring SIGTERM WARN; Node\'s exact options as fixes', async () => {
  const { code, report, verdicts } = await check(['--initializer', '--idle', '3'], [process.execPath, NODE_FIXTURE], {
    CHECK_BIND: '127.0.0.1', CHECK_KEEPALIVE_MS: '1000', CHECK_INIT_ONCE: '1', CHECK_NO_MARKERS: '1', CHECK_SERVER_HEADER: '1', CHECK_IGNORE_SIGTERM: '1',
  });
  assert.equal(code, 1);
  assert.equal(report.ok, false);
  assert.deepEqual(verdicts, {
    start: 'PASS', 'bind-address': 'FAIL', initialize: 'FAIL', invoke: 'PASS', 'keep-alive-3s': 'FAIL',
    'response-headers': 'WARN', markers: 'WARN', sigterm: 'WARN',
  });
  assert.match(fixOf(report, 'bind-address'), /server\.listen\(port, '0\.0\.0\.0'\)/);
  assert.match(fixOf(report, 'keep-alive-3s'), /server\.keepAliveTimeout = 0/);
  assert.match(fixOf(report, 'initialize'), /FC calls the Initializer again when a timed-out one did run/);
  assert.match(fixOf(report, 'sigterm'), /process\.on\('SIGTERM'/);
  assert.match(report.checks.find((c) => c.id === 'response-headers')!.seen, /sets server/);
});

test('a response header of 10 KB FAILs (FC answers 502 BadResponse); each fault alone fails only its own check', async () => {
  const big = await check(['--idle', '1'], [process.execPath, NODE_FIXTURE], { CHECK_BIG_HEADER: '1' });
  assert.equal(big.code, 1);
  assert.equal(big.verdicts['response-headers'], 'FAIL');
  assert.match(big.report.checks.find((c) => c.id === 'response-headers')!.seen, /502 BadResponse/);
  assert.equal(big.report.fail, 1);
  const trickle = await check(['--idle', '1', '--trickle', '2'], [process.execPath, NODE_FIXTURE], { CHECK_REQUEST_TIMEOUT_MS: '1000' });
  assert.equal(trickle.verdicts['trickle-2s'], 'FAIL');
  assert.match(fixOf(trickle.report, 'trickle-2s'), /server\.requestTimeout = 0/);
  assert.equal(trickle.report.fail, 1);
  const patient = await check(['--idle', '1', '--trickle', '2'], [process.execPath, NODE_FIXTURE]);
  assert.equal(patient.verdicts['trickle-2s'], 'PASS');
  assert.equal(patient.code, 0);
});

test('any language: Python\'s http.server with HTTP/1.1, threads and no Server header passes; its defaults FAIL keep-alive and WARN on Server; one thread FAILs concurrency', async () => {
  const clean = await check(['--idle', '2', '--concurrency', '3'], ['python3', PYTHON_FIXTURE]);
  assert.equal(clean.code, 0, JSON.stringify(clean.report, null, 2));
  assert.equal(clean.report.fail + clean.report.warn, 0);
  const plain = await check(['--idle', '2'], ['python3', PYTHON_FIXTURE], { CHECK_PLAIN: '1' });
  assert.equal(plain.verdicts['keep-alive-2s'], 'FAIL');
  assert.equal(plain.verdicts['response-headers'], 'WARN');
  assert.doesNotMatch(fixOf(plain.report, 'keep-alive-2s'), /server\.keepAliveTimeout/, 'no Node option for a Python server');
  const single = await check(['--idle', '1', '--concurrency', '3', '--timeout', '1'], ['python3', PYTHON_FIXTURE], { CHECK_SINGLE: '1' });
  assert.equal(single.verdicts.concurrency, 'FAIL');
});

test('FC\'s seed samples as written (port 9000 hard-coded): the HTTP sample FAILs keep-alive with Node\'s 5 s default, the event sample passes it and WARNs on markers', async () => {
  const seeds = join(ROOT, '..', 'shared', 'seeds');
  const dir = join(ROOT, 'node_modules', '.cache');
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, 'seed-check-'));
  const extract = (page: string, last: string): string => {
    const text = readFileSync(join(seeds, page), 'utf8');
    const start = text.indexOf("'use strict';");
    const end = text.indexOf(last, start);
    return `${text.slice(start, end + last.length)}\n`;
  };
  const http = join(tmp, 'http.cjs');
  writeFileSync(http, extract('002_9cc75a2b89138314.txt', 'console.log(`Running on http://${HOST}:${PORT}`);'));
  const event = join(tmp, 'event.cjs');
  writeFileSync(event, extract('000_59ab33a9df43948f.txt', 'server.keepAliveTimeout = 0; // keepalive, never timeout'));
  const httpSample = await check(['--container-port', '9000', '--http'], [process.execPath, http]);
  assert.equal(httpSample.verdicts['keep-alive-7s'], 'FAIL', JSON.stringify(httpSample.report, null, 2));
  assert.equal(httpSample.verdicts.http, 'PASS');
  const eventSample = await check(['--container-port', '9000', '--initializer'], [process.execPath, event]);
  assert.equal(eventSample.verdicts['keep-alive-7s'], 'PASS', JSON.stringify(eventSample.report, null, 2));
  assert.equal(eventSample.verdicts.markers, 'WARN');
  assert.equal(eventSample.verdicts.initialize, 'PASS');
});

test('--target checks a server already running; what needs the process is SKIP; the text report has a line per check', async (t) => {
  const local = await startServer({ invoke: (event) => event }, { markers: true });
  t.after(() => local.close());
  const { code, verdicts } = await check(['--target', local.url, '--idle', '1'], undefined);
  assert.equal(code, 0);
  assert.deepEqual(verdicts, { start: 'PASS', 'bind-address': 'SKIP', initialize: 'SKIP', invoke: 'PASS', 'keep-alive-1s': 'PASS', 'response-headers': 'PASS', markers: 'SKIP', sigterm: 'SKIP' });
  const text = await runCli(['emulate', '--check', '--target', local.url, '--idle', '1']);
  assert.match(text.stdout, /^PASS +start +http:\/\/127\.0\.0\.1:\d+ answers$/m);
  assert.match(text.stdout, /^SKIP +markers +needs the command's stdout \(--target\)$/m);
  const bad = await runCli(['emulate', '--check', '--idle', '0', '--target', local.url]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--idle takes a number of seconds > 0/);
});
