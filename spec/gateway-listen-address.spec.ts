/**
 * The loopback-only warning reads the command's listen address from /proc: no connection to any
 * address off loopback. The /proc tables' hex decoding on fixed lines, then real servers on
 * 127.0.0.2, ::1, :: and behind a `sh -c` wrapper (a process of the group, not the leader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProcAddress, findListenAddresses, isLoopbackAddress, readListenAddresses } from '../lib/gateway/listen-address.js';
import { FC3, post, startGateway } from './helpers/gateway.js';

const LINUX = process.platform === 'linux';
const LOOPBACK_WARNING = /the function accepts connections on .* only \(loopback\).*listen on 0\.0\.0\.0, or FC reports FunctionNotStarted/;

/** A script serving `text` on FC_CUSTOM_LISTEN_PORT at `host`. */
function serveScript(host: string, text = 'ok'): string {
  return `require("http").createServer((q, s) => s.end(${JSON.stringify(text)})).listen(process.env.FC_CUSTOM_LISTEN_PORT, ${JSON.stringify(host)})`;
}

test('/proc addresses are little-endian hex words: IPv4, IPv6, IPv4-mapped', () => {
  assert.equal(decodeProcAddress('0100007F'), '127.0.0.1');
  assert.equal(decodeProcAddress('00000000'), '0.0.0.0');
  assert.equal(decodeProcAddress('0200007F'), '127.0.0.2');
  assert.equal(decodeProcAddress('00000000000000000000000000000000'), '::');
  assert.equal(decodeProcAddress('00000000000000000000000001000000'), '::1');
  assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F'), '::ffff:127.0.0.1');
  assert.deepEqual(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress), [true, true, true, true]);
  assert.deepEqual(['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1'].map(isLoopbackAddress), [false, false, false, false]);
});

test('only LISTEN entries (0A) of the given inodes and port count', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 100 0 0 10 0',
    '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0 100 0 0 10 0',
    '   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 20 4 30 10 -1',
    '   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(findListenAddresses(table, 0x1f90, new Set(['111'])), ['127.0.0.1']);
  assert.deepEqual(findListenAddresses(table, 0x1f90, new Set(['111', '222'])), ['127.0.0.1', '0.0.0.0']);
  assert.deepEqual(findListenAddresses(table, 0x1f90, new Set(['333'])), []);
});

test('a process group that holds no socket: /proc cannot tell', () => {
  assert.equal(readListenAddresses(2 ** 22 + 12345, 9000), undefined);
});

test('a server on 127.0.0.1 behind sh -c (a child in the group, not its leader) is warned about; on :: and 0.0.0.0 not', { skip: !LINUX && 'the listen address is read from /proc' }, async (t) => {
  // `; exit 0` keeps the shell from exec-ing node: the server is the leader's child.
  const wrapped = await startGateway(t, { command: ['/bin/sh', '-c', `"${process.execPath}" -e '${serveScript('127.0.0.1', 'wrapped')}'; exit 0`] });
  assert.equal((await post(wrapped.port, FC3, 'x')).text, 'wrapped');
  assert.match(wrapped.err(), /accepts connections on 127\.0\.0\.1 only \(loopback\)/);
  for (const host of ['::', '0.0.0.0']) {
    const s = await startGateway(t, { command: [process.execPath, '-e', serveScript(host)] });
    assert.equal((await post(s.port, FC3, 'x')).text, 'ok', host);
    assert.doesNotMatch(s.err(), LOOPBACK_WARNING, host);
    assert.doesNotMatch(s.out(), /Cannot tell from \/proc/, host);
  }
});

test('a server outside the command\'s process group: the gateway says once that /proc cannot tell', { skip: !LINUX && 'the listen address is read from /proc' }, async (t) => {
  // `setsid --fork --wait` runs the server in a session (and group) of its own; it leaves once
  // setsid is gone, so the gateway's stop (which reaches the group only) leaves nothing behind.
  const script = `const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 50); ${serveScript('127.0.0.1', 'apart')}`;
  const s = await startGateway(t, { command: ['setsid', '--fork', '--wait', process.execPath, '-e', script] });
  assert.equal((await post(s.port, FC3, 'x')).text, 'apart');
  assert.equal(s.out().match(/Cannot tell from \/proc which address port \d+ listens on/g)?.length, 1);
  assert.doesNotMatch(s.err(), LOOPBACK_WARNING);
});
