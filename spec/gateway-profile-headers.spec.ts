/**
 * The profile's HTTP trigger through the gateway, against real containers: FC 3.0's trigger
 * (`https://<prefix>.<region>.fcapp.run/<path>`) at the root beside the API paths.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FC3, PROXY, post, startGateway } from './helpers/gateway.js';
import { send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const BARE = [process.execPath, join(FIXTURES, 'emu-bare.cjs')];
const MISBEHAVING = [process.execPath, join(FIXTURES, 'emu-misbehaving.cjs')];
const FC3_ID = /^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/;

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
    assert.equal(other.json().ErrorCode, 'FunctionNotFound');
  });

  test('fc2 without a custom domain: a root path is no trigger (404 PathNotFound)', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const reply = await send(s.port, { path: '/api/hello' });
    assert.equal(reply.status, 404);
    assert.equal(reply.json().ErrorCode, 'PathNotFound');
  });
});
