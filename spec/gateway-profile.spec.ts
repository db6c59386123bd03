/**
 * The profile switch through the gateway: FC 2.0's rules by default, FC 3.0's with `profile:
 * 'fc3'`, `--profile fc3` or FC_CONTAINER_PROFILE=fc3. Request ids in each platform's shape on
 * every request the gateway sends and answers; the profile handed to the command; limits per
 * profile and `limits` over the profile; the start-up line; an unknown profile refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createGateway, newRequestId, type GatewayOptions } from '../lib/emulator.js';
import { runCli } from './helpers/child-server.js';
import { startEmulator } from './helpers/emulate.js';
import { FC3, PROXY, RECORDER, post, startGateway, until } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';

const BARE = [process.execPath, join(FIXTURES, 'emu-bare.cjs')];
/** FC 2.0's ids: a version 4 UUID. */
const FC2_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** FC 3.0's ids: `1-<8 hex seconds>-<8 hex>-<12 hex>`. */
const FC3_ID = /^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/;
const SHAPES = { fc2: FC2_ID, fc3: FC3_ID } as const;

describe('request ids in the profile\'s shape', () => {
  test('newRequestId: a UUID for fc2 (the default), 1-<hex seconds>-<8 hex>-<12 hex> for fc3, fresh each time', () => {
    assert.match(newRequestId(), FC2_ID);
    assert.match(newRequestId('fc2'), FC2_ID);
    const id = newRequestId('fc3');
    assert.match(id, FC3_ID);
    assert.ok(Math.abs(parseInt(id.slice(2, 10), 16) - Date.now() / 1000) < 5, `${id} begins with the hex seconds`);
    assert.notEqual(newRequestId('fc3'), newRequestId('fc3'));
    assert.notEqual(newRequestId(), newRequestId());
  });

  for (const profile of ['fc2', 'fc3'] as const) {
    const shape = SHAPES[profile];
    test(`${profile}: the caller's and the container's id, the Initializer's, PreStop's, a refusal's and a malformed request's`, async (t) => {
      const s = await startGateway(undefined, { command: BARE, profile, initializer: true, preStop: true });
      let closed = false;
      t.after(() => (closed ? undefined : s.gateway.close()));
      const event = await post(s.port, FC3, 'hello');
      const id = event.headers['x-fc-request-id'] as string;
      assert.match(id, shape);
      assert.equal(event.json().headers['x-fc-request-id'], id, 'the container sees the id the caller gets');
      const http = await send(s.port, { path: `${PROXY}/x` });
      assert.match(http.headers['x-fc-request-id'] as string, shape);
      assert.equal(http.json().headers['x-fc-request-id'], http.headers['x-fc-request-id']);
      assert.match(s.initializations[0]!.requestId, shape);
      await until(() => /initialize 1 \S+/.test(s.out()), 'the Initializer\'s line');
      assert.match(/initialize 1 (\S+)/.exec(s.out())![1]!, shape, 'the id the container got on /initialize');
      const refused = await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(9000) } });
      assert.equal(refused.status, 400);
      assert.match(refused.headers['x-fc-request-id'] as string, shape);
      const malformed = await sendRaw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
      assert.match(/x-fc-request-id: (\S+)\r\n/i.exec(malformed)![1]!, shape);
      await s.gateway.close();
      closed = true;
      await until(() => /pre-stop \S+ \/pre-stop/.test(s.out()), 'the PreStop line');
      assert.match(/pre-stop (\S+) \/pre-stop/.exec(s.out())![1]!, shape, 'the id the container got on /pre-stop');
    });
  }
});

describe('the profile handed to the command, and its limits', () => {
  test('FC_CONTAINER_PROFILE: fc2 by default, the profile applied (not one inherited), and the options\' env wins', async () => {
    const cases: [GatewayOptions, string, string | undefined][] = [
      [{}, 'fc2', undefined],
      [{ profile: 'fc3' }, 'fc3', undefined],
      [{ profile: 'fc2', limits: 'fc3' }, 'fc2', 'fc3'],
      [{ profile: 'fc3', env: { FC_CONTAINER_PROFILE: 'fc2' } }, 'fc2', undefined],
    ];
    for (const [options, profile, limits] of cases) {
      const s = await startGateway(undefined, { command: BARE, ...options });
      try {
        const env = (await post(s.port, FC3, 'x')).json().env;
        assert.equal(env.FC_CONTAINER_PROFILE, profile, JSON.stringify(options));
        assert.equal(env.FC_CONTAINER_LIMITS, limits, JSON.stringify(options));
      } finally {
        await s.gateway.close();
      }
    }
  });

  test('limits per profile, a preset over the profile, byte overrides over the profile\'s own', async () => {
    // [options, request-header limit, whether a 6,000-byte response header passes]
    const cases: [GatewayOptions, number, boolean][] = [
      [{}, 4096, false],
      [{ profile: 'fc2' }, 4096, false],
      [{ profile: 'fc3' }, 8192, true],
      [{ profile: 'fc2', limits: 'fc3' }, 8192, true],
      [{ profile: 'fc3', limits: { requestHeaders: 5000 } }, 5000, true],
      [{ profile: 'fc3', limits: { responseHeaders: 5000 } }, 8192, false],
    ];
    for (const [options, limit, bigResponse] of cases) {
      const what = JSON.stringify(options);
      const s = await startGateway(undefined, { command: RECORDER, ...options });
      try {
        assert.equal((await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(limit - 200) } })).status, 200, what);
        const over = await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(limit + 1) } });
        assert.equal(over.status, 400, what);
        assert.match(over.json().ErrorMessage, new RegExp(`the limit is ${limit} bytes`), what);
        assert.equal((await send(s.port, { path: `${PROXY}/headers/6000` })).status, bigResponse ? 200 : 502, what);
      } finally {
        await s.gateway.close();
      }
    }
  });
});

describe('the CLI', () => {
  test('--profile and FC_CONTAINER_PROFILE switch; the start-up line names the profile, and limits over it', async (t) => {
    const cases: [string[], Record<string, string>, RegExp, 'fc2' | 'fc3'][] = [
      [[], {}, /Function my-function \(profile fc2: FC 2\.0 rules; service my-service, /, 'fc2'],
      [['--profile', 'fc3'], {}, /Function my-function \(profile fc3: FC 3\.0 rules; service my-service, /, 'fc3'],
      [[], { FC_CONTAINER_PROFILE: 'fc3' }, /Function my-function \(profile fc3: FC 3\.0 rules; /, 'fc3'],
      [['--profile', 'fc2', '--limits', 'fc3'], { FC_CONTAINER_PROFILE: 'fc3' }, /Function my-function \(profile fc2: FC 2\.0 rules with FC 3\.0 limits; /, 'fc2'],
    ];
    for (const [args, env, line, profile] of cases) {
      const run = startEmulator([...args, '--port', '0', '--', ...BARE], env);
      t.after(() => run.stop());
      const [, port] = await run.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\n/);
      assert.match(run.output(), line);
      if (profile === 'fc3') assert.match(run.output(), /HTTP trigger: {3}curl -s http:\/\/127\.0\.0\.1:\d+\/ {3}\(FC 3\.0's <prefix>\.<region>\.fcapp\.run\/<path>\)/);
      const reply = await post(Number(port), FC3, 'x');
      assert.match(reply.headers['x-fc-request-id'] as string, SHAPES[profile], args.join(' '));
      assert.equal(reply.json().env.FC_CONTAINER_PROFILE, profile);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    }
  });

  test('an unknown profile: one line and exit 2 from the CLI (flag or environment), a TypeError from createGateway', async () => {
    const command = ['--', process.execPath, '-e', 'console.log("started anyway")'];
    const flag = await runCli(['emulate', '--profile', 'fc4', ...command]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^fc-container emulate: --profile takes "fc2" or "fc3", got "fc4"\n$/);
    const env = await runCli(['emulate', ...command], { FC_CONTAINER_PROFILE: 'fc4' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /^fc-container emulate: Unknown FC_CONTAINER_PROFILE "fc4"[^\n]*\n$/);
    for (const result of [flag, env]) assert.doesNotMatch(result.stdout, /started anyway/);
    await assert.rejects(createGateway({ command: BARE, port: 0, profile: 'fc4' as never }), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /Unknown profile "fc4"/);
      return true;
    });
  });
});
