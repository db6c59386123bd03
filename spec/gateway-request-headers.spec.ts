/**
 * The request-header limit counts the same bytes in the gateway and in the runtime behind it:
 * what the client sent, x-fc-* and the hop-by-hop `connection` and `keep-alive` excluded (each
 * hop sets its own; the gateway's keep-alive agent adds `Connection: keep-alive`). A request the
 * gateway accepts is never refused by an fc-container function behind it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../lib/emulator.js';
import { startServer, type LocalServer } from './helpers/local-server.js';
import { CLI, FIXTURES } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';
import { PROXY, sink } from './helpers/gateway.js';

const FUNCTION_COMMAND = [process.execPath, '--import', 'tsx', CLI, 'serve', join(FIXTURES, 'emu-function.mjs')];
const LIMIT = 4096;

/** A GET whose headers are `total` bytes as FC counts them (names and values): `Host: x`, one `X-Pad`, and `extra`. */
function requestOf(path: string, total: number, extra: [string, string][] = []): string {
  const counted = extra.filter(([name]) => !['connection', 'keep-alive'].includes(name.toLowerCase()));
  const fixed = 'Host'.length + 'x'.length + 'X-Pad'.length + counted.reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  const lines = [`GET ${path} HTTP/1.1`, 'Host: x', `X-Pad: ${'p'.repeat(total - fixed)}`, ...extra.map(([name, value]) => `${name}: ${value}`), 'Connection: close'];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1] ?? 0);
}

describe('request headers at the limit, through the gateway to an fc-container function', () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await createGateway({ command: FUNCTION_COMMAND, port: 0, stdout: sink().stream, stderr: sink().stream, stopTimeout: 2 });
  });
  after(() => gateway.close());

  test('every size from 4,077 to 4,096 bytes reaches the function (200); 4,097 is refused by the gateway', async () => {
    for (let total = LIMIT - 19; total <= LIMIT; total++) {
      const raw = await sendRaw(gateway.port, requestOf(`${PROXY}/h`, total));
      assert.equal(statusOf(raw), 200, `${total} bytes: ${raw.slice(raw.indexOf('\r\n\r\n') + 4)}`);
      assert.match(raw, /"x-pad":"p+"/, 'the function saw the request');
    }
    const over = await sendRaw(gateway.port, requestOf(`${PROXY}/h`, LIMIT + 1));
    assert.equal(statusOf(over), 400);
    assert.match(over, /"ErrorMessage":"Request headers are 4097 bytes/);
    assert.match(over, /x-fc-error-type: FcCommonError/, 'refused by the gateway, not the function');
  });

  test('the client\'s own Connection and Keep-Alive count on neither side', async () => {
    const raw = await sendRaw(gateway.port, requestOf(`${PROXY}/h`, LIMIT, [['Keep-Alive', 'timeout=5, max=1000']]));
    assert.equal(statusOf(raw), 200, raw);
  });
});

describe('the runtime alone counts the same bytes', () => {
  let server: LocalServer;
  before(async () => {
    server = await startServer({ http: (_req, res) => res.end('ok') });
  });
  after(() => server.close());

  test('4,096 bytes with Connection and Keep-Alive headers pass; 4,097 are refused', async () => {
    assert.equal(statusOf(await sendRaw(server.port, requestOf('/h', LIMIT, [['Keep-Alive', 'timeout=5']]))), 200);
    const over = await sendRaw(server.port, requestOf('/h', LIMIT + 1, [['Keep-Alive', 'timeout=5']]));
    assert.equal(statusOf(over), 400);
    assert.match(over, /Request headers are 4097 bytes/);
  });
});
