/**
 * A Fetch function proxying with `fetch(request)` to a loopback upstream, as an API gateway app
 * does (spec/fixtures/fetch-proxy.mjs in an `fc-container serve` child): a chunked upload goes
 * through, with or without `Expect: 100-continue`; no hop-by-hop header crosses either way; and a
 * client leaving a streamed or proxied response is not logged as the function's error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { spawnServer, type ChildServer } from './helpers/child-server.js';
import { FIXTURES } from './helpers/paths.js';

let upstream: Server;
let upstreamHost = '';
let proxy: ChildServer;
/** Upstream requests by the request id the client gave, for a spec to wait on their close. */
const seen = new Map<string, { req: IncomingMessage; res: ServerResponse }>();
const arrivals: ((id: string) => void)[] = [];

function onUpstreamRequest(req: IncomingMessage, res: ServerResponse): void {
  const id = String(req.headers['x-fc-request-id'] ?? '');
  seen.set(id, { req, res });
  for (const arrived of arrivals.splice(0)) arrived(id);
  if (req.url === '/echo') {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => { hash.update(chunk); length += chunk.length; });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, length, sha256: hash.digest('hex'), headers: req.headers }));
    });
  } else if (req.url === '/stream') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('upstream first\n'); // and nothing more: the client leaves
  }
  // '/hang': no answer at all; the client leaves first.
}

function waitForUpstream(id: string): Promise<void> {
  if (seen.has(id)) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (arrived: string): void => {
      if (arrived === id) resolve();
      else arrivals.push(check);
    };
    arrivals.push(check);
  });
}

before(async () => {
  upstream = createServer(onUpstreamRequest);
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamHost = `127.0.0.1:${(upstream.address() as { port: number }).port}`;
  proxy = await spawnServer(join(FIXTURES, 'fetch-proxy.mjs'));
});

after(() => {
  proxy?.kill('SIGKILL');
  upstream?.closeAllConnections();
  upstream?.close();
});

interface Upload { status: number; text: string }

/** A chunked upload (no content-length) through the proxy, optionally waiting for 100 Continue first. */
function upload(id: string, chunks: Buffer[], expectContinue: boolean): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: upstreamHost, 'x-fc-request-id': id, 'content-type': 'application/octet-stream' };
    if (expectContinue) headers.expect = '100-continue';
    const req = httpRequest({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/echo', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    const send = (): void => {
      for (const chunk of chunks) req.write(chunk);
      req.end();
    };
    if (expectContinue) req.on('continue', send);
    else send();
  });
}

for (const expectContinue of [false, true]) {
  test(`a chunked upload${expectContinue ? ' with Expect: 100-continue' : ''} proxied with fetch(request) reaches the upstream whole`, async () => {
    const chunks = [Buffer.alloc(1000, 'a'), Buffer.alloc(70_000, 'b'), Buffer.from('end')];
    const id = `upload-${expectContinue ? 'expect' : 'plain'}`;
    const reply = await upload(id, chunks, expectContinue);
    assert.equal(reply.status, 200, reply.text);
    const echoed = JSON.parse(reply.text);
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.length, 71_003);
    assert.equal(echoed.sha256, createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
    // Framed by Node's fetch for its own connection; nothing of the client's hop came along.
    assert.equal(echoed.headers['transfer-encoding'], 'chunked');
    assert.equal(echoed.headers.expect, undefined);
    await proxy.waitForOutput(new RegExp(`FC Invoke End RequestId: ${id}\\n`));
  });
}

/** A GET through the proxy to the upstream's echo, read whole. */
function get(id: string): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxy.port, path: '/echo', headers: { host: upstreamHost, 'x-fc-request-id': id }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the upstream\'s hop-by-hop response headers (connection, keep-alive) are not copied, so not warned about', async () => {
  const reply = await get('hop-response');
  assert.equal(reply.status, 200, reply.text);
  await proxy.waitForOutput(/FC Invoke End RequestId: hop-response\n/);
  assert.doesNotMatch(proxy.stdout(), /Response header "(connection|keep-alive|transfer-encoding)"/);
});

/**
 * Sends a GET through the proxy and leaves: once the first body bytes arrive, or, for '/hang',
 * once the upstream has the proxied request.
 */
function leave(path: string, id: string, host: string): void {
  const req = httpRequest({ host: '127.0.0.1', port: proxy.port, path, headers: { host, 'x-fc-request-id': id }, agent: false });
  req.on('error', () => {});
  if (path === '/hang') void waitForUpstream(id).then(() => req.destroy());
  else req.on('response', (res) => res.once('data', () => req.destroy()));
  req.end();
}

/**
 * Waits until a request sent after the client left has been answered: the proxy has handled
 * what followed the leaving before it. `upstreamClosed` is when the upstream saw its fetch cut.
 */
async function settle(id: string, upstreamClosed: Promise<unknown> | undefined): Promise<void> {
  await proxy.waitForOutput(new RegExp(`FC Invoke End RequestId: ${id}\\n`));
  await upstreamClosed;
  const probe = `${id}-probe`;
  assert.equal((await get(probe)).status, 200);
  await proxy.waitForOutput(new RegExp(`FC Invoke End RequestId: ${probe}\\n`));
}

const ROUNDS = 20;

test(`a client leaving a proxied streamed response, ${ROUNDS} times: no error line, the server goes on`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const id = `left-proxied-${round}`;
    leave('/stream', id, upstreamHost);
    await waitForUpstream(id);
    await settle(id, once(seen.get(id)!.res, 'close'));
  }
  assert.doesNotMatch(proxy.stdout(), / left-proxied-\d+ \[error\]/);
});

test(`a client leaving before the upstream answered (the handler's fetch rejects with the abort), ${ROUNDS} times: no error line`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const id = `left-hang-${round}`;
    leave('/hang', id, upstreamHost);
    await waitForUpstream(id);
    await settle(id, once(seen.get(id)!.req.socket, 'close'));
  }
  assert.doesNotMatch(proxy.stdout(), / left-hang-\d+ \[error\]/);
});

test(`a client leaving a streamed response of the function's own, ${ROUNDS} times: no error line`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const id = `left-stream-${round}`;
    leave('/own-stream', id, 'function.local');
    await settle(id, undefined);
  }
  assert.doesNotMatch(proxy.stdout(), / left-stream-\d+ \[error\]/);
});
