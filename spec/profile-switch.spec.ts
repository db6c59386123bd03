/**
 * The profile switch: `profile: 'fc3'`, `--profile fc3`, `FC_CONTAINER_PROFILE=fc3`; FC 2.0 by
 * default. `limits` (a preset or byte overrides) stands over the profile's limits, and its own
 * alias forms keep meaning FC 3.0's sizes only. An unknown profile fails at start-up; the start-up
 * line names the profile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, spawnServer, type ChildServer } from './helpers/child-server.js';
import { startServer } from './helpers/local-server.js';
import { FIXTURES } from './helpers/paths.js';
import { createServer, type Options } from '../lib/index.js';
import { exchange, rawRequest, type HeaderList, type RawReply } from './helpers/raw-client.js';

const FIXTURE = join(FIXTURES, 'profile.mjs');

/** Host plus `x-pad`, `total` bytes as the header limit counts them (names + values), and accept-encoding when asked. */
function headersOfSize(total: number, withEncoding = false): HeaderList {
  const fixed: HeaderList = [['Host', '127.0.0.1'], ...(withEncoding ? [['Accept-Encoding', 'gzip'] as [string, string]] : [])];
  const used = fixed.reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  return [...fixed, ['x-pad', 'p'.repeat(total - used - 'x-pad'.length)]];
}

function get(port: number, headers: HeaderList, target = '/'): Promise<RawReply> {
  return exchange(port, rawRequest('GET', target, headers));
}

function post(port: number, body: string): Promise<RawReply> {
  return exchange(port, rawRequest('POST', '/', [['Host', '127.0.0.1'], ['Content-Length', String(body.length)]], body));
}

/** The request headers an HTTP function saw. */
function echo(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
  res.end(JSON.stringify(req.headers));
}

/** Asserts the request-header limit is `limit` (limit bytes pass, limit + 1 get 400) and whether accept-encoding reaches the app. */
async function assertRules(port: number, limit: number, seesEncoding: boolean): Promise<void> {
  const passed = await get(port, headersOfSize(limit, true), '/headers');
  assert.equal(passed.status, 200, passed.raw);
  assert.equal(passed.json()['accept-encoding'], seesEncoding ? 'gzip' : undefined);
  const refused = await get(port, headersOfSize(limit + 1, true), '/headers');
  assert.equal(refused.status, 400, refused.raw);
  assert.ok(refused.json().ErrorMessage.includes(`limit is ${limit} bytes`), refused.body);
}

/** Runs `fn` with environment variables set, restoring them after. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T> | T): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function local(options: Options, t: { after(fn: () => unknown): void }): Promise<number> {
  const server = await startServer({ http: echo }, options);
  t.after(() => server.close());
  return server.port;
}

test('default: FC 2.0 (4096-byte headers, accept-encoding hidden)', async (t) => {
  await assertRules(await local({}, t), 4096, false);
});

test("profile: 'fc3': FC 3.0 (8192-byte headers, accept-encoding seen)", async (t) => {
  await assertRules(await local({ profile: 'fc3' }, t), 8192, true);
});

test("profile: 'fc2' given: FC 2.0", async (t) => {
  await assertRules(await local({ profile: 'fc2' }, t), 4096, false);
});

test('FC_CONTAINER_PROFILE=fc3: FC 3.0; the option wins over it', async (t) => {
  await assertRules(await withEnv({ FC_CONTAINER_PROFILE: 'fc3' }, () => local({}, t)), 8192, true);
  await assertRules(await withEnv({ FC_CONTAINER_PROFILE: 'fc3' }, () => local({ profile: 'fc2' }, t)), 4096, false);
});

test("{ profile: 'fc2', limits: 'fc3' }: FC 2.0's rules with FC 3.0's sizes", async (t) => {
  await assertRules(await local({ profile: 'fc2', limits: 'fc3' }, t), 8192, false);
});

test("limits' own forms unchanged: limits: 'fc3' and FC_CONTAINER_LIMITS=fc3 are FC 3.0's sizes under FC 2.0's rules", async (t) => {
  await assertRules(await local({ limits: 'fc3' }, t), 8192, false);
  await assertRules(await withEnv({ FC_CONTAINER_LIMITS: 'fc3' }, () => local({}, t)), 8192, false);
});

test("{ profile: 'fc3', limits: { body: 10 } }: FC 3.0's limits with that body", async (t) => {
  const port = await local({ profile: 'fc3', limits: { body: 10 } }, t);
  assert.equal((await post(port, 'x'.repeat(10))).status, 200);
  const refused = await post(port, 'x'.repeat(11));
  assert.equal(refused.status, 400, refused.raw);
  assert.match(refused.json().ErrorMessage, /limit is 10 bytes/);
  await assertRules(port, 8192, true);
});

test("{ profile: 'fc3', limits: { requestHeaders: 5000 } }: the override wins over the profile's 8192", async (t) => {
  await assertRules(await local({ profile: 'fc3', limits: { requestHeaders: 5000 } }, t), 5000, true);
});

test('an unknown profile is a TypeError at start-up, from the option or the environment', async () => {
  assert.throws(() => createServer({ http: echo }, { profile: 'fc4' as 'fc3' }), { name: 'TypeError', message: /Unknown profile "fc4"/ });
  assert.throws(() => createServer({ http: echo }, { profile: 'constructor' as 'fc3' }), { name: 'TypeError', message: /Unknown profile "constructor"/ });
  await withEnv({ FC_CONTAINER_PROFILE: 'fc9' }, () => {
    assert.throws(() => createServer({ http: echo }), { name: 'TypeError', message: /FC_CONTAINER_PROFILE "fc9"/ });
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI.

async function child(args: string[], env: Record<string, string>, t: { after(fn: () => unknown): void }): Promise<ChildServer> {
  const server = await spawnServer(FIXTURE, ['--no-markers', ...args], { FC_CONTAINER_LIMITS: '', FC_CONTAINER_PROFILE: '', ...env });
  t.after(async () => {
    server.kill();
    await server.exited;
  });
  return server;
}

test('CLI: the start-up line names the profile (fc2 by default)', async (t) => {
  const server = await child([], {}, t);
  assert.match(server.stdout(), /^fc-container listening on 127\.0\.0\.1:\d+ \(profile fc2\)\n/m);
  await assertRules(server.port, 4096, false);
});

test('CLI --profile fc3: FC 3.0, and the start-up line says so', async (t) => {
  const server = await child(['--profile', 'fc3'], {}, t);
  assert.match(server.stdout(), /^fc-container listening on 127\.0\.0\.1:\d+ \(profile fc3\)\n/m);
  await assertRules(server.port, 8192, true);
});

test('CLI with FC_CONTAINER_PROFILE=fc3: FC 3.0, named in the start-up line', async (t) => {
  const server = await child([], { FC_CONTAINER_PROFILE: 'fc3' }, t);
  assert.match(server.stdout(), /\(profile fc3\)\n/);
  await assertRules(server.port, 8192, true);
});

test('CLI --profile fc2 --limits fc3: FC 2.0 rules, FC 3.0 sizes; --limits alone keeps fc2', async (t) => {
  const both = await child(['--profile', 'fc2', '--limits', 'fc3'], {}, t);
  assert.match(both.stdout(), /\(profile fc2\)\n/);
  await assertRules(both.port, 8192, false);
  const limitsOnly = await child(['--limits', 'fc3'], {}, t);
  assert.match(limitsOnly.stdout(), /\(profile fc2\)\n/);
  await assertRules(limitsOnly.port, 8192, false);
});

test('CLI: an unknown --profile or FC_CONTAINER_PROFILE exits 2 with one line', async () => {
  for (const [args, env, named] of [
    [['--profile', 'fc4'], {}, /--profile takes "fc2" or "fc3", got "fc4"/],
    [[], { FC_CONTAINER_PROFILE: 'nope' }, /Unknown FC_CONTAINER_PROFILE "nope"/],
  ] as const) {
    const result = await runCli(['serve', FIXTURE, '--port', '0', ...args], { FC_CONTAINER_LIMITS: '', FC_CONTAINER_PROFILE: '', ...env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, named);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  }
});
