/**
 * Log lines per profile. Under fc3, `context.logger`, `formatConsole` and the runtime's own lines
 * print FC 3.0's Node.js time stamp (`2024-03-04 07:01:16.927 <requestId> [info] message`), and
 * `ALIYUN_FC_LOG_LEVEL` sets the level when `logLevel` is not given; under fc2 neither changes.
 * Markers are the same in both. A line over FC's 32 KB is split into lines under it, nothing lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, spawnServer, type ChildServer } from './helpers/child-server.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const FIXTURE = join(FIXTURES, 'profile.mjs');
const FC3_TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}';
const FC2_TIME = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

async function child(args: string[], env: Record<string, string>, t: { after(fn: () => unknown): void }): Promise<ChildServer> {
  const server = await spawnServer(FIXTURE, args, { FC_CONTAINER_PROFILE: '', ALIYUN_FC_LOG_LEVEL: '', ...env });
  t.after(async () => {
    server.kill();
    await server.exited;
  });
  return server;
}

/** Requests `path` as request `id` and resolves to the lines of stdout naming `id`, once its End marker is out. */
async function linesOf(server: ChildServer, path: string, id: string): Promise<string[]> {
  await send(server.port, { path, headers: { 'x-fc-request-id': id, 'x-fc-control-path': '/http-invoke' } });
  await server.waitForOutput(new RegExp(`FC Invoke End RequestId: ${id}\n`));
  return server.stdout().split('\n').filter((line) => line.includes(id));
}

test('fc3: context.logger and formatConsole print FC 3.0\'s time stamp (UTC, a space, ms, no Z); markers unchanged', async (t) => {
  const server = await child(['--profile', 'fc3', '--format-console'], {}, t);
  const lines = await linesOf(server, '/log', 'fc3-log');
  assert.equal(lines[0], 'FC Invoke Start RequestId: fc3-log');
  assert.equal(lines.at(-1), 'FC Invoke End RequestId: fc3-log');
  const body = lines.slice(1, -1);
  assert.deepEqual(body.map((line) => line.replace(new RegExp(`^${FC3_TIME} `), '<time> ')), [
    '<time> fc3-log [debug] debug line',
    '<time> fc3-log [info] info line',
    '<time> fc3-log [warn] warn line',
    '<time> fc3-log [error] error line',
    '<time> fc3-log [info] console line',
  ]);
  // The time is UTC: within a minute of now.
  const stamp = Date.parse(body[0]!.slice(0, 23).replace(' ', 'T') + 'Z');
  assert.ok(Math.abs(Date.now() - stamp) < 60_000, body[0]);
});

test('fc3: the runtime\'s own warning (a stripped server header) has the same time stamp', async (t) => {
  const server = await child(['--profile', 'fc3'], {}, t);
  const lines = await linesOf(server, '/strip', 'fc3-warn');
  const warning = lines.find((line) => line.includes('"server"'));
  assert.match(warning ?? '', new RegExp(`^${FC3_TIME} fc3-warn \\[warn\\] Response header "server" is set by the platform`));
  // content-encoding is the app's to set under fc3: no warning names it.
  assert.ok(!server.stdout().includes('"content-encoding"'), server.stdout());
});

test('fc2 (default): the ISO time stamp stays', async (t) => {
  const server = await child(['--format-console'], {}, t);
  const lines = await linesOf(server, '/log', 'fc2-log');
  assert.match(lines[1]!, new RegExp(`^${FC2_TIME} fc2-log \\[debug\\] debug line$`));
  assert.match(lines[5]!, new RegExp(`^${FC2_TIME} fc2-log \\[info\\] console line$`));
});

test('fc3: ALIYUN_FC_LOG_LEVEL=warn drops context.logger\'s debug and info lines', async (t) => {
  const server = await child(['--profile', 'fc3'], { ALIYUN_FC_LOG_LEVEL: 'warn' }, t);
  const levels = (await linesOf(server, '/log', 'lvl-1')).map((line) => /\[(\w+)\]/.exec(line)?.[1]).filter(Boolean);
  assert.deepEqual(levels, ['warn', 'error']);
});

test('fc3 with formatConsole: ALIYUN_FC_LOG_LEVEL=warn drops console.log too, as FC 3.0 does; fc2 keeps it at any level', async (t) => {
  const fc3 = await child(['--profile', 'fc3', '--format-console'], { ALIYUN_FC_LOG_LEVEL: 'warn' }, t);
  const fc3Lines = await linesOf(fc3, '/log', 'lvl-console-3');
  assert.deepEqual(fc3Lines.map((line) => /\[(\w+)\] (.*)$/.exec(line)?.slice(1).join(' ')).filter(Boolean), ['warn warn line', 'error error line']);
  const fc2 = await child(['--format-console', '--log-level', 'warn'], {}, t);
  const fc2Lines = await linesOf(fc2, '/log', 'lvl-console-2');
  assert.ok(fc2Lines.some((line) => line.endsWith('[info] console line')), fc2Lines.join('\n'));
});

test('fc3: --log-level wins over ALIYUN_FC_LOG_LEVEL', async (t) => {
  const server = await child(['--profile', 'fc3', '--log-level', 'debug'], { ALIYUN_FC_LOG_LEVEL: 'error' }, t);
  const levels = (await linesOf(server, '/log', 'lvl-2')).map((line) => /\[(\w+)\]/.exec(line)?.[1]).filter(Boolean);
  assert.deepEqual(levels, ['debug', 'info', 'warn', 'error']);
});

test('fc2: ALIYUN_FC_LOG_LEVEL is FC 3.0\'s and changes nothing', async (t) => {
  const server = await child([], { ALIYUN_FC_LOG_LEVEL: 'error' }, t);
  const levels = (await linesOf(server, '/log', 'lvl-3')).map((line) => /\[(\w+)\]/.exec(line)?.[1]).filter(Boolean);
  assert.deepEqual(levels, ['debug', 'info', 'warn', 'error']);
});

test('fc3: an unknown ALIYUN_FC_LOG_LEVEL exits 2 with one line', async () => {
  const result = await runCli(['serve', FIXTURE, '--port', '0', '--profile', 'fc3'], { ALIYUN_FC_LOG_LEVEL: 'verbose' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /ALIYUN_FC_LOG_LEVEL must be one of debug, info, warn, error; got verbose/);
  assert.equal(result.stderr.trimEnd().split('\n').length, 1);
});

// ---------------------------------------------------------------------------------------------
// FC keeps 32 KB of one log line: a longer one is split, each piece a line of its own.

/** The fixture's longMessage(), rebuilt. */
const LONG = 'start:' + 'a'.repeat(20000) + 'é'.repeat(9000) + '€'.repeat(9000) + '😀'.repeat(9000) + 'b'.repeat(5000) + ':end';

for (const [profile, time] of [['fc2', FC2_TIME], ['fc3', FC3_TIME]] as const) {
  test(`${profile}: a context.logger line over 32 KB is split into lines of at most 32 KB, each naming the request; nothing lost`, async (t) => {
    assert.ok(Buffer.byteLength(LONG) > 3 * 32 * 1024);
    const server = await child(['--profile', profile], {}, t);
    const id = `long-${profile}`;
    const lines = (await linesOf(server, '/long', id)).slice(1, -1);
    assert.ok(lines.length >= 4, `split into ${lines.length} lines`);
    const prefix = new RegExp(`^${time} ${id} \\[info\\] `);
    let joined = '';
    for (const line of lines) {
      assert.ok(Buffer.byteLength(line + '\n') <= 32 * 1024, `a line of ${Buffer.byteLength(line + '\n')} bytes`);
      assert.match(line, prefix);
      joined += line.replace(prefix, '');
    }
    assert.equal(joined, LONG);
  });
}
