import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { spawnServer } from './helpers/child-server.js';
import { invoke, send } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';

const SLOW = join(FIXTURES, 'slow.mjs');

test('SIGTERM drains 50 in-flight requests, refuses new connections, runs preStop once, exits 0', async (t) => {
  const server = await spawnServer(SLOW, ['--shutdown-timeout', '5000']);
  t.after(() => server.kill('SIGKILL'));
  const inFlight = Array.from({ length: 50 }, (_, i) => invoke(server.port, '400', { 'x-fc-request-id': `drain-${i}` }));
  await server.waitForOutput(/FC Invoke Start RequestId: drain-49\n/);
  server.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await assert.rejects(invoke(server.port, '0'), /ECONNREFUSED/);
  const replies = await Promise.all(inFlight);
  for (const reply of replies) {
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'slept 400');
  }
  assert.equal(await server.exited, 0);
  const out = server.stdout();
  assert.equal(out.match(/preStop ran/g)?.length, 1);
  // preStop runs after the drain, inside its own markers, and nothing is lost at exit.
  assert.ok(out.lastIndexOf('FC Invoke End') < out.indexOf('FC PreStop Start'));
  for (let i = 0; i < 50; i++) assert.ok(out.includes(`FC Invoke End RequestId: drain-${i}\n`));
  assert.match(out, /FC PreStop End RequestId: [0-9a-f-]{36}\n$/);
});

test('idle keep-alive connections do not hold the exit up', async (t) => {
  const server = await spawnServer(SLOW, ['--shutdown-timeout', '3000']);
  t.after(() => server.kill('SIGKILL'));
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  await send(server.port, { method: 'POST', path: '/invoke', body: '0', agent });
  await send(server.port, { method: 'POST', path: '/invoke', body: '0', agent });
  assert.equal(Object.values(agent.freeSockets).flat().length, 1);
  server.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  assert.doesNotMatch(server.stdout(), /cut off/);
});

test('a handler that ignores shutdown is cut off at the grace period: exit 1 and a line counting requests, not connections (an idle one beside it)', async (t) => {
  const server = await spawnServer(SLOW, ['--shutdown-timeout', '300']);
  t.after(() => server.kill('SIGKILL'));
  await openConnection(t, server.port, '');
  const stuck = invoke(server.port, '10000').catch((error: Error) => error);
  await server.waitForOutput(/FC Invoke Start/);
  server.kill('SIGTERM');
  assert.equal(await server.exited, 1);
  assert.match(server.stdout(), /shutdown timeout of 300 ms reached; 1 request\(s\) cut off/);
  assert.ok((await stuck) instanceof Error);
});

test('preStop is not run again at SIGTERM when FC already called GET /pre-stop', async (t) => {
  const server = await spawnServer(SLOW);
  t.after(() => server.kill('SIGKILL'));
  assert.equal((await send(server.port, { path: '/pre-stop' })).status, 200);
  server.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  assert.equal(server.stdout().match(/preStop ran/g)?.length, 1);
});

/** Opens a connection and writes `data` (maybe nothing); resolves once it is connected. */
async function openConnection(t: { after(fn: () => void): void }, port: number, data: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  if (data) socket.write(data);
  return socket;
}

test('SIGTERM with a connection that sent nothing and one that sent half a request: exit 0, nothing cut off', async (t) => {
  const server = await spawnServer(SLOW, ['--shutdown-timeout', '5000']);
  t.after(() => server.kill('SIGKILL'));
  const silent = await openConnection(t, server.port, '');
  const half = await openConnection(t, server.port, 'POST /invoke HTTP/1.1\r\nHost: x\r\n');
  // A request served on another connection shows both were accepted before the signal.
  assert.equal((await invoke(server.port, '0')).status, 200);
  server.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  assert.doesNotMatch(server.stdout(), /cut off/);
  // The server closed both: each client sees its connection close.
  for (const socket of [silent, half]) if (!socket.destroyed) await once(socket, 'close');
});
