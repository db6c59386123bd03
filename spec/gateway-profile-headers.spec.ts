/**
 * The profile's header rules and HTTP trigger through the gateway, against real containers: the
 * request headers it forwards and the response headers it passes on under FC 2.0 and FC 3.0, and
 * FC 3.0's trigger (`https://<prefix>.<region>.fcapp.run/<path>`) at the root beside the API paths.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FC3, PROXY, post, readPlatformErrorCode, startGateway } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const BARE = [process.execPath, join(FIXTURES, 'emu-bare.cjs')];
const MISBEHAVING = [process.execPath, join(FIXTURES, 'emu-misbehaving.cjs')];
const FC3_ID = /^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/;
/** Where each profile's HTTP trigger is reached: FC 2.0's proxy path, FC 3.0's root. */
const TRIGGER = { fc2: PROXY, fc3: '' } as const;

describe('request headers per profile', () => {
  test('fc2 hides accept-encoding, te and proxy-authorization; fc3 forwards them; keep-alive and every client x-fc-* never reach the app', async () => {
    const sent = {
      'accept-encoding': 'gzip', te: 'trailers', 'proxy-authorization': 'Basic eDp5', 'keep-alive': 'timeout=5',
      'x-fc-spoofed': 'mine', 'x-fc-request-id': 'spoofed', 'x-custom': 'kept',
    };
    for (const profile of ['fc2', 'fc3'] as const) {
      const s = await startGateway(undefined, { command: BARE, profile });
      try {
        const seen = (await send(s.port, { path: `${TRIGGER[profile]}/h`, headers: sent })).json().headers;
        const fc3 = profile === 'fc3';
        assert.equal(seen['accept-encoding'], fc3 ? 'gzip' : undefined, profile);
        assert.equal(seen.te, fc3 ? 'trailers' : undefined, profile);
        assert.equal(seen['proxy-authorization'], fc3 ? 'Basic eDp5' : undefined, profile);
        assert.equal(seen['keep-alive'], undefined, profile);
        assert.equal(seen['x-fc-spoofed'], undefined, profile);
        assert.notEqual(seen['x-fc-request-id'], 'spoofed', profile);
        assert.equal(seen['x-custom'], 'kept', profile);
      } finally {
        await s.gateway.close();
      }
    }
  });

  test('fc3: a chunked request that announces trailers reaches the app whole, with its length and without the trailer field', async (t) => {
    const s = await startGateway(t, { command: BARE, profile: 'fc3' });
    const reply = await send(s.port, { method: 'POST', path: '/upload', headers: { 'transfer-encoding': 'chunked', trailer: 'x-checksum' }, body: 'abc' });
    assert.equal(reply.status, 200, reply.text);
    const seen = reply.json();
    assert.equal(seen.body, 'abc');
    assert.equal(seen.headers['content-length'], '3');
    assert.equal(seen.headers.trailer, undefined);
  });
});

describe('response headers per profile', () => {
  test('content-encoding and upgrade: stripped and warned under fc2, the app\'s under fc3; server and x-fc-* stripped and warned once in both', async () => {
    for (const profile of ['fc2', 'fc3'] as const) {
      const s = await startGateway(undefined, { command: MISBEHAVING, profile });
      try {
        const fc3 = profile === 'fc3';
        for (let i = 0; i < 2; i++) {
          const reply = await send(s.port, { path: `${TRIGGER[profile]}/forbidden` });
          assert.equal(reply.text, 'forbidden headers', profile);
          assert.equal(reply.headers['content-encoding'], fc3 ? 'identity' : undefined, profile);
          assert.equal(reply.headers.upgrade, fc3 ? 'h2c' : undefined, profile);
          assert.equal(reply.headers['x-kept'], 'yes', profile);
          assert.equal(reply.headers.server, undefined, profile);
          assert.equal(reply.headers['x-fc-anything'], undefined, profile);
          assert.equal(reply.headers['x-fc-status'], undefined, profile);
          assert.notEqual(reply.headers['x-fc-request-id'], 'spoofed', profile);
          if (fc3) assert.match(reply.headers['x-fc-request-id'] as string, FC3_ID);
        }
        const err = s.err();
        assert.equal(err.match(/Response header "server" is set by the platform/g)?.length, 1, `${profile}: ${err}`);
        assert.equal(err.match(/Response header "x-fc-anything"/g)?.length, 1, `${profile}: ${err}`);
        for (const name of ['content-encoding', 'upgrade']) {
          assert.equal(new RegExp(`Response header "${name}"`).test(err), !fc3, `${profile}, ${name}: ${err}`);
        }
        assert.doesNotMatch(err, /Response header "(date|connection|keep-alive|content-length|transfer-encoding|x-fc-status)"/, profile);
      } finally {
        await s.gateway.close();
      }
    }
  });

  test('fc3: a response with trailers reaches the caller whole, with its length, without the trailer field, in silence', async (t) => {
    const script = 'require("http").createServer((q, s) => { s.setHeader("trailer", "x-checksum"); s.write("part1 ");'
      + ' s.addTrailers({ "x-checksum": "1" }); s.end("part2"); }).listen(process.env.FC_CUSTOM_LISTEN_PORT, "0.0.0.0")';
    const s = await startGateway(t, { command: [process.execPath, '-e', script], profile: 'fc3' });
    const reply = await send(s.port, { path: '/t' });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.text, 'part1 part2');
    assert.equal(reply.headers['content-length'], '11');
    assert.equal(reply.headers.trailer, undefined);
    assert.doesNotMatch(s.err(), /Response header "trailer"/);
  });
});

describe('FC 3.0\'s HTTP trigger at the root', () => {
  test('fc3: a path the APIs do not claim is the HTTP trigger: path and query as sent, no x-fc-base-path, no forced download', async (t) => {
    const s = await startGateway(t, { command: BARE, profile: 'fc3' });
    for (const path of ['/', '/api/hello?name=fc', '/2016-08-15/other']) {
      const reply = await send(s.port, { method: 'PUT', path, body: 'b' });
      assert.equal(reply.status, 200, path);
      const seen = reply.json();
      assert.equal(seen.method, 'PUT');
      assert.equal(seen.url, path);
      assert.equal(seen.body, 'b');
      assert.equal(seen.headers['x-fc-control-path'], '/http-invoke');
      assert.equal(seen.headers['x-fc-base-path'], undefined, path);
      assert.equal(reply.headers['content-disposition'], undefined, path);
      assert.match(reply.headers['x-fc-request-id'] as string, FC3_ID);
    }
    const misbehaving = await startGateway(t, { command: MISBEHAVING, profile: 'fc3' });
    assert.equal((await send(misbehaving.port, { path: '/download' })).headers['content-disposition'], 'attachment; filename="report.csv"');
  });

  test('fc3: the API paths keep working beside it: both invocation APIs, FC 2.0\'s proxy path with its base path and forced download, 404 for another function', async (t) => {
    const s = await startGateway(t, { command: BARE, profile: 'fc3' });
    assert.equal((await post(s.port, FC3, 'three')).json().event, 'three');
    assert.equal((await post(s.port, '/2016-08-15/services/my-service/functions/my-function/invocations', 'two')).json().event, 'two');
    const proxied = await send(s.port, { path: `${PROXY}/x` });
    assert.equal(proxied.json().headers['x-fc-base-path'], '/2016-08-15/proxy/my-service/my-function/');
    assert.equal(proxied.headers['content-disposition'], 'attachment');
    const other = await post(s.port, '/2023-03-30/functions/other/invocations', 'x');
    assert.equal(other.status, 404);
    assert.equal(readPlatformErrorCode(other, '/2023-03-30/functions/other/invocations'), 'FunctionNotFound');
  });

  test('fc2 without a custom domain: a root path is no trigger (404 PathNotFound)', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const reply = await send(s.port, { path: '/api/hello' });
    assert.equal(reply.status, 404);
    assert.equal(reply.json().ErrorCode, 'PathNotFound');
  });
});
