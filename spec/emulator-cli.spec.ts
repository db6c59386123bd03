/**
 * `fc-container emulate` as a command: help, usage errors, start-up failures (the command exits,
 * the port never opens, the gateway's port is taken), a whole run stopped by a signal in FC's
 * order, and SIGKILL after the grace period.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isAlive, runCli } from './helpers/child-server.js';
import { send } from './helpers/http-client.js';
import { startEmulator, type RunningEmulator } from './helpers/emulate.js';
import { FIXTURES } from './helpers/paths.js';

const FC3 = '/2023-03-30/functions/my-function/invocations';

/** Starts `fc-container emulate <args>` from source, stdout and stderr together (spec/helpers/emulate.ts). */
function emulate(args: string[]): RunningEmulator {
  return startEmulator(args);
}

test('--help shows every option with its FC-like default; the top-level help names emulate', async () => {
  const help = await runCli(['emulate', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--port', '--host', '--target', '--limits', '--custom-domain', '--function-name', '--service-name', '--region',
    '--account-id', '--memory', '--timeout', '--handler', '--concurrency', '--qualifier', '--initializer', '--initializer-handler',
    '--initialization-timeout', '--pre-stop', '--pre-stop-handler', '--pre-stop-timeout', '--container-port', '--start-timeout',
    '--stop-timeout', '--env', '--billing-unit']) {
    assert.ok(help.stdout.includes(flag), `--help lacks ${flag}`);
  }
  assert.match(help.stdout, /--port <n>\s+Port of the gateway \(default 8000/);
  assert.match(help.stdout, /--memory <mb>\s+Memory size in MB \(default 512\)/);
  assert.match(help.stdout, /--initializer-handler <h>\s+x-fc-function-initializer \(default index\.initializer\)/);
  const top = await runCli(['--help']);
  assert.match(top.stdout, /emulate -- <command\.\.\.>/);
  assert.match(top.stdout, /serve <module>/);
});

test('usage errors exit 2 with one clear message', async () => {
  const cases: [string[], RegExp][] = [
    [[], /give the command to run after "--"/],
    [['--target', 'http://127.0.0.1:1', '--', 'node'], /not both/],
    [['--limits', 'fc9', '--', 'node'], /--limits takes "fc3"/],
    [['--nope', '--', 'node'], /Unknown option '--nope'/],
    [['node', 'server.js'], /put the command after "--"/],
    [['--port', 'abc', '--', 'node'], /--port needs a number/],
    [['--concurrency', '0', '--', 'node'], /concurrency must be a whole number > 0/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runCli(['emulate', ...args]);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, pattern, args.join(' '));
  }
});

test('a command that exits before its port opens: exit 1 at once, with its exit code and output', async () => {
  const started = Date.now();
  const result = await runCli(['emulate', '--port', '0', '--', process.execPath, '-e', 'console.log("cannot connect to the database"); process.exit(3)']);
  assert.equal(result.code, 1);
  assert.ok(Date.now() - started < 10_000);
  assert.match(result.stderr, /The command exited with code 3 before opening port \d+ \(FC_CUSTOM_LISTEN_PORT\)/);
  assert.match(result.stderr, /Its last output:\n {2}cannot connect to the database/);
  assert.match(result.stdout, /\[my-function\] cannot connect to the database/, 'passed through, prefixed');
});

test('a command that never opens its port: a timeout naming the port, and the command is stopped', async () => {
  const result = await runCli(['emulate', '--port', '0', '--start-timeout', '1', '--stop-timeout', '1', '--',
    process.execPath, '-e', 'console.log("pid " + process.pid); setInterval(() => {}, 1000)']);
  assert.equal(result.code, 1);
  const port = /FC_CUSTOM_LISTEN_PORT \((\d+)\)/.exec(result.stderr)?.[1];
  assert.ok(port, result.stderr);
  assert.match(result.stderr, new RegExp(`The command did not open port ${port} \\(FC_CUSTOM_LISTEN_PORT\\) within 1 s`));
  const pid = Number(/\[my-function\] pid (\d+)/.exec(result.stdout)![1]);
  assert.equal(isAlive(pid), false, 'the command was stopped');
});

test('a --port that is taken is named, and the command is not started', async (t) => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const { port } = blocker.address() as { port: number };
  const result = await runCli(['emulate', '--port', String(port), '--', process.execPath, '-e', 'console.log("started anyway")']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`Port ${port} is taken \\(127\\.0\\.0\\.1:${port}\\)`));
  assert.doesNotMatch(result.stdout, /started anyway/);
});

test('a whole run: start, invoke, and on SIGTERM GET /pre-stop, then SIGTERM to the command, exit 0', async (t) => {
  const run = emulate(['--port', '0', '--pre-stop', '--initializer', '--function-name', 'hello', '--', process.execPath, join(FIXTURES, 'emu-bare.cjs')]);
  t.after(() => run.stop());
  const [, port] = await run.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\n/);
  assert.match(run.output(), /\[hello\] Running on http:\/\/0\.0\.0\.0:\d+/);
  assert.match(run.output(), /curl -s -XPOST http:\/\/127\.0\.0\.1:\d+\/2023-03-30\/functions\/hello\/invocations/);
  const reply = await send(Number(port), { method: 'POST', path: '/2023-03-30/functions/hello/invocations', body: 'from the CLI' });
  assert.equal(reply.json().event, 'from the CLI');
  await run.waitFor(/RequestId: \S+ Invoke -> 200 {2}Duration: [\d.]+ ms {2}Billed Duration: \d+ ms {2}Memory Size: 512 MB {2}Max Memory Used: [\d.]+ MB/);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  const out = run.output();
  const preStop = out.search(/\[hello\] pre-stop [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} /);
  const sigterm = out.indexOf('[hello] SIGTERM received');
  assert.ok(preStop !== -1 && sigterm > preStop, out);
  assert.match(out, /fc-emulate: Stopped/);
});

test('a command that ignores SIGTERM is killed after --stop-timeout; a command given as one string runs through sh', async (t) => {
  const script = `const http = require("http"); process.on("SIGTERM", () => console.log("ignoring SIGTERM"));`
    + ` http.createServer((q, s) => s.end("ok")).listen(process.env.FC_CUSTOM_LISTEN_PORT, "0.0.0.0");`;
  const run = emulate(['--port', '0', '--stop-timeout', '0.5', '--', `${JSON.stringify(process.execPath)} -e '${script}'`]);
  t.after(() => run.stop());
  const [, port] = await run.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\n/);
  const pid = Number(/\(pid (\d+)\)/.exec(run.output())![1]);
  assert.equal((await send(Number(port), { method: 'POST', path: FC3, body: 'x' })).text, 'ok');
  const stopping = Date.now();
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0);
  const took = Date.now() - stopping;
  assert.match(run.output(), /\[my-function\] ignoring SIGTERM/);
  assert.ok(took >= 450 && took < 5000, `stopped after ${took} ms`);
  assert.equal(isAlive(pid), false, 'killed');
});
