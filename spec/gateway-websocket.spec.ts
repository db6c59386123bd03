/**
 * WebSocket through the gateway, as FC's HTTP trigger carries it: echo on each domain form, FC's
 * rules on the handshake, an open connection counted against the concurrency until it closes,
 * the function timeout (1006, the summary line when it closes), and a stop with open sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { PROXY, startGateway, type Started } from './helpers/gateway.js';
import { CLI, FIXTURES } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';
import { ask, connect } from './helpers/websocket-client.js';

const FUNCTION = [process.execPath, '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'ws-node.mjs')];
const NAMES = { functionName: 'my-function', serviceName: 'my-service' };



function wsUrl(s: Started, path: string): string {
  return `ws://127.0.0.1:${s.port}${path}`;
}

for (const [form, options, path, url] of [
  ['the default domain, its base path stripped', {}, `${PROXY}/chat`, '/chat'],
  ['a custom domain, at the root', { customDomain: true }, '/chat', '/chat'],
  ['the FC 3.0 profile, at the root', { profile: 'fc3' as const }, '/chat', '/chat'],
] as const) {
  test(`echo through the gateway on ${form}; the summary line printed when it closes`, async (t) => {
    const s = await startGateway(t, { command: FUNCTION, ...options, ...NAMES });
    const ws = await connect(wsUrl(s, path));
    assert.equal(await ask(ws, 'ping'), 'echo ping');
    assert.equal(await ask(ws, 'url'), url);
    const headers = JSON.parse(await ask(ws, 'headers')) as string[];
    for (const name of ['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'x-fc-request-id']) assert.ok(headers.includes(name), name);
    ws.close();
    await s.outWritten(/RequestId: \S+ HTTP GET \S+ -> 101 {2}Duration: /);
  });
}

test('a handshake over the header limit: FC\'s 400 on the socket, nothing reaches the container; an unknown function: 404', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const handshake = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
  const big = await sendRaw(s.port, handshake(`${PROXY}/chat`, `X-Big: ${'v'.repeat(9000)}\r\n`));
  assert.match(big, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(big, /"ErrorCode":"InvalidArgument"/);
  const unknown = await sendRaw(s.port, handshake('/2016-08-15/proxy/my-service/other/chat'));
  assert.match(unknown, /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.match(unknown, /"ErrorCode":"FunctionNotFound"/);
  assert.equal(s.invocations.length, 0);
});

test('an open WebSocket holds a concurrency slot until it closes', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, ...NAMES });
  const first = await connect(wsUrl(s, `${PROXY}/a`));
  const second = new WebSocket(wsUrl(s, `${PROXY}/b`));
  let opened = false;
  second.on('open', () => { opened = true; });
  assert.equal(await ask(first, 'one'), 'echo one');
  assert.equal(opened, false, 'the second waits for the slot');
  first.close();
  await once(second, 'open');
  assert.equal(await ask(second, 'two'), 'echo two');
  second.close();
});

test('at the function timeout both sockets are destroyed: the client sees 1006, the summary line says FunctionTimeout', async (t) => {
  const s = await startGateway(t, { command: FUNCTION, timeout: 0.4, ...NAMES });
  const ws = await connect(wsUrl(s, `${PROXY}/chat`));
  const [code] = await once(ws, 'close') as [number];
  assert.equal(code, 1006);
  await s.outWritten(/HTTP GET \S*\/chat -> 101 \(FunctionTimeout\) {2}Duration: /);
});

test('stopping with open sockets: the clients see the container\'s 1001, the stop ends within the stop timeout', async (t) => {
  const s = await startGateway(undefined, { command: FUNCTION, concurrency: 3, stopTimeout: 3, ...NAMES });
  t.after(() => s.gateway.close());
  const sockets = await Promise.all([0, 1, 2].map(() => connect(wsUrl(s, `${PROXY}/chat`))));
  const codes = sockets.map((ws) => once(ws, 'close').then(([code]) => code as number));
  const started = Date.now();
  await s.gateway.close();
  // Each connection's summary line is out by the time the stop resolves (a CLI exits then).
  assert.equal(s.out().match(/HTTP GET \S*\/chat -> 101 /g)?.length, 3, s.out());
  assert.deepEqual(await Promise.all(codes), [1001, 1001, 1001]);
  assert.ok(Date.now() - started < 3000, 'within the stop timeout');
});

test('stopping with sockets a container keeps open past SIGTERM: cut at the stop timeout, every summary line out when the stop resolves', async (t) => {
  const s = await startGateway(undefined, { command: [process.execPath, join(FIXTURES, 'ws-outlives-sigterm.cjs')], concurrency: 3, stopTimeout: 1, ...NAMES });
  t.after(() => s.gateway.close());
  const sockets = await Promise.all([0, 1, 2].map(() => connect(wsUrl(s, `${PROXY}/chat`))));
  assert.equal(await ask(sockets[0]!, 'still here'), 'still here');
  const codes = sockets.map((ws) => once(ws, 'close').then(([code]) => code as number));
  await s.gateway.close();
  assert.equal(s.out().match(/HTTP GET \S*\/chat -> 101 /g)?.length, 3, s.out());
  // No close frame: the container was killed with them open.
  assert.deepEqual(await Promise.all(codes), [1006, 1006, 1006]);
});
