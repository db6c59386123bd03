/**
 * Malformed HTTP over raw TCP sockets: what Node's parser rejects must come back as FC's JSON 400
 * (`{"ErrorCode":"InvalidArgument",...}`), never reach a handler, never smuggle a second request
 * past the parser, and never stop the server.
 *
 * Already proven elsewhere, not repeated here (spec/client-error.spec.ts): a single header past
 * `maxHeaderSize` (20 KiB, 1 MiB), `GARBAGE` as the request line, a bad protocol name, plain
 * content-length + transfer-encoding, one header line without a colon, a header name with a space,
 * and how `maxHeaderSize` follows the limits. Stalled bodies and headers: spec/slow-clients.spec.ts.
 * The generated corpus of mutated requests: spec/fuzz.spec.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spawnServer } from './helpers/child-server.js';
import { startServer, type LocalServer } from './helpers/local-server.js';
import { FIXTURES } from './helpers/paths.js';
import type { Options } from '../lib/index.js';
import { exchangeAll, parseReplies, type RawResponse } from './helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------

interface Recording {
  local: LocalServer;
  /** What reached the handlers: `invoke <event>`, `http <METHOD> <url>`, `end <url> <bytes>`, `error <url>`. */
  seen: string[];
}

/** An in-process server whose handlers record every request that reaches them. */
async function recordingServer(t: { after(fn: () => unknown): void }, options: Options = {}): Promise<Recording> {
  const seen: string[] = [];
  const local = await startServer({
    invoke: (event) => {
      seen.push(`invoke ${event.toString('latin1')}`);
      return event;
    },
    http: (req, res) => {
      const url = req.url ?? '';
      seen.push(`http ${req.method} ${url}`);
      let bytes = 0;
      req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      req.on('error', () => { seen.push(`error ${url}`); });
      req.on('end', () => {
        seen.push(`end ${url} ${bytes}`);
        res.end(`ok ${req.method} ${url} ${bytes}`);
      });
    },
  }, options);
  t.after(() => local.close());
  return { local, seen };
}

/** FC's gateway 400: JSON with exactly ErrorCode "InvalidArgument" and a message. */
function assertInvalidArgument(reply: RawResponse | undefined, raw: string): void {
  assert.ok(reply, `no complete response; got:\n${raw.slice(0, 500)}`);
  assert.equal(reply.status, 400, raw.slice(0, 500));
  assert.match(reply.header('content-type') ?? '', /^application\/json/, raw.slice(0, 500));
  const body = reply.json();
  assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'ErrorMessage']);
  assert.equal(body.ErrorCode, 'InvalidArgument');
  assert.ok(typeof body.ErrorMessage === 'string' && body.ErrorMessage.length > 0);
}

/** The server still answers a good request correctly on a new connection. */
async function assertServes(port: number): Promise<void> {
  const result = await exchangeAll(port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(result.replies.length, 1, result.raw);
  assert.equal(result.replies[0]!.status, 200);
  assert.equal(result.replies[0]!.text, 'ok GET /after 0');
}

/** Lets the server's handlers run what the last bytes started. */
const settle = (ms = 50): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Requests the parser rejects before a handler can run.

const CLIENT_HELLO = Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000020c02bc02fc02cc030cca9cca8c009c013c00ac014009c009d002f0035c012000a0100', 'hex');

const REJECTED: [string, string | Buffer][] = [
  // Request lines (`GARBAGE` and a bad protocol name: client-error.spec.ts).
  ['a request line with no target or version', 'GET\r\n\r\n'],
  ['a lower-case method', 'get / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a tab between method and target', 'GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a token after the version', 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
  ['an unknown method', 'FETCHALL / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a space inside the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a NUL inside the target', 'GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a bare CR inside the target', 'GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['a bare LF inside the target', 'GET /a\nb HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['LF-only line endings', 'GET / HTTP/1.1\nHost: x\n\n'],
  ['binary bytes', Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10])],
  ['a TLS ClientHello (HTTPS spoken to the HTTP port)', CLIENT_HELLO],
  ['the HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  // Header lines without a colon (one in the middle of the block: client-error.spec.ts).
  ['a header line of spaces only', 'GET / HTTP/1.1\r\nHost: x\r\n   \r\n\r\n'],
  ['an empty header name (": value")', 'GET / HTTP/1.1\r\nHost: x\r\n: value\r\n\r\n'],
  ['a tab between a header name and its colon', 'GET / HTTP/1.1\r\nHost: x\r\nX-A\t: v\r\n\r\n'],
  ['a bare header name as the last line', 'GET / HTTP/1.1\r\nHost: x\r\nX-Last\r\n\r\n'],
  ['an obsolete folded header line', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n\r\n'],
  // NUL and CR/LF inside header values and names.
  ['a NUL inside a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'],
  ['a bare CR inside a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'],
  ['a bare LF inside a header value (a header injection)', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nX-Injected: yes\r\n\r\n'],
  ['a CR before the CRLF ending a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: v\r\r\n\r\n'],
  ['a NUL inside a header name', 'GET / HTTP/1.1\r\nHost: x\r\nX-\0A: v\r\n\r\n'],
  ['a control character (0x01) inside a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'],
  ['DEL (0x7f) inside a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n'],
  ['a high byte inside a header name', 'GET / HTTP/1.1\r\nHost: x\r\nX-\xff: v\r\n\r\n'],
  // Bad content-length values.
  ['a content-length with a sign', 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc'],
  ['a negative content-length', 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\nabc'],
  ['a hexadecimal content-length', 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc'],
  ['an empty content-length', 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\nabc'],
  ['a content-length of two numbers', 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 3 3\r\n\r\nabc'],
  ['a content-length past 2^64', 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\nabc'],
  // A header block past the parser's maximum, other than one big header.
  ['3,000 small headers (about 27 KiB)', 'GET / HTTP/1.1\r\n' + Array.from({ length: 3000 }, (_, i) => `h${i}: v\r\n`).join('') + '\r\n'],
  ['a 20 KiB request target', `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`],
];

for (const [what, wire] of REJECTED) {
  test(`${what}: 400 InvalidArgument JSON, the connection closes, no handler runs, the server goes on`, async (t) => {
    const { local, seen } = await recordingServer(t);
    const result = await exchangeAll(local.port, wire);
    assert.equal(result.replies.length, 1, result.raw.slice(0, 500));
    assertInvalidArgument(result.replies[0], result.raw);
    assert.equal(result.ending, 'end', 'the server closes the connection after a parser error');
    assert.equal(result.trailing, 0);
    await settle();
    assert.deepEqual(seen, []);
    await assertServes(local.port);
  });
}

test('a header block past the maximum that arrives in 1 KiB pieces gets the same 400 about the headers', async (t) => {
  const { local, seen } = await recordingServer(t);
  const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`;
  const pieces: string[] = [];
  for (let i = 0; i < head.length; i += 1024) pieces.push(head.slice(i, i + 1024));
  const result = await exchangeAll(local.port, pieces);
  assertInvalidArgument(result.replies[0], result.raw);
  assert.match(result.replies[0]!.json().ErrorMessage, /headers/);
  assert.deepEqual(seen, []);
  await assertServes(local.port);
});

test('legal oddities pass as they are: tab and obs-text (0x80-0xff) in a value, chunk extensions, leading empty lines', async (t) => {
  const values: string[] = [];
  const local = await startServer({
    http: (req, res) => {
      values.push(String(req.headers['x-a'] ?? ''));
      let bytes = 0;
      req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      req.on('end', () => res.end(`ok ${bytes}`));
    },
  });
  t.after(() => local.close());
  const result = await exchangeAll(local.port, [
    'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\xff\x80c\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n0\r\n\r\n',
    '\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ]);
  assert.deepEqual(result.replies.map((reply) => `${reply.status} ${reply.text}`), ['200 ok 0', '200 ok 3', '200 ok 0']);
  // Node keeps header bytes one per character (latin1): the handler sees exactly what was sent.
  assert.equal(values[0], 'a\tb\xff\x80c');
});

// ---------------------------------------------------------------------------------------------
// What Node's http server answers itself, outside the parser (found by spec/fuzz.spec.ts).

test('an HTTP/1.1 request without a Host header gets FC\'s JSON 400, not Node\'s bare 400', async (t) => {
  // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host. Node's http
  // server does so itself (`requireHostHeader`) with an empty, untyped 400, outside the runtime.
  const { local, seen } = await recordingServer(t);
  for (const wire of ['GET /no-host HTTP/1.1\r\n\r\n', 'POST /invoke HTTP/1.1\r\nx-fc-control-path: /invoke\r\nContent-Length: 2\r\n\r\nhi']) {
    const result = await exchangeAll(local.port, wire);
    assertInvalidArgument(result.replies[0], result.raw);
  }
  assert.deepEqual(seen, []);
});

test('an Expect other than 100-continue: FC\'s JSON 417, the body it sent anyway drained, no handler runs, the server goes on', async (t) => {
  const { local, seen } = await recordingServer(t);
  for (const path of ['/invoke', '/up']) {
    const result = await exchangeAll(local.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nhi`);
    const reply = result.replies[0];
    assert.equal(reply?.status, 417, result.raw);
    assert.equal(reply.header('content-type'), 'application/json');
    assert.deepEqual(reply.json(), { ErrorCode: 'InvalidArgument', ErrorMessage: 'Unsupported expectation: Expect: 200-ok' });
    assert.equal(reply.header('connection'), 'close');
    assert.equal(result.ending, 'end');
    assert.equal(result.trailing, 0);
  }
  await settle();
  assert.deepEqual(seen, []);
  await assertServes(local.port);
});

test('CONNECT: the connection is closed without a reply (no tunnel), no handler runs, the server goes on', async (t) => {
  const { local, seen } = await recordingServer(t);
  const result = await exchangeAll(local.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  assert.equal(result.raw, '');
  assert.equal(result.ending, 'end');
  await settle();
  assert.deepEqual(seen, []);
  await assertServes(local.port);
});

test('with an Upgrade header Node drops the parse error of a broken chunked body: the body timeout answers 408 JSON', async (t) => {
  const { local, seen } = await recordingServer(t, { bodyTimeoutMs: 300 });
  for (const path of ['/invoke', '/up']) {
    const started = Date.now();
    const result = await exchangeAll(local.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n`
      + 'Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', { idleMs: 3000 });
    assert.equal(result.replies[0]?.status, 408, result.raw);
    assert.equal(result.replies[0]!.json().ErrorCode, 'InvalidArgument');
    assert.ok(Date.now() - started < 2900, 'answered by the body timeout, not left hanging');
  }
  await settle();
  assert.ok(!seen.some((line) => line.startsWith('invoke') || line.startsWith('end')), seen.join('\n'));
  await assertServes(local.port);
});

// ---------------------------------------------------------------------------------------------
// Bad chunk sizes: the headers were fine, so the request was dispatched before the body broke.

const BAD_CHUNKS: [string, string][] = [
  ['a non-hex chunk size', 'zz\r\nabc\r\n0\r\n\r\n'],
  ['a negative chunk size', '-1\r\nabc\r\n0\r\n\r\n'],
  ['a chunk size past 2^64 (20 hex digits)', 'ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n'],
  ['a chunk size followed by garbage', '3 x\r\nabc\r\n0\r\n\r\n'],
  ['chunk data longer than its size', '3\r\nabcdef\r\n0\r\n\r\n'],
  ['a chunk without its CRLF', '3\r\nabc0\r\n\r\n'],
];

for (const [what, body] of BAD_CHUNKS) {
  test(`${what}: /invoke gets 400 InvalidArgument JSON and invoke never runs`, async (t) => {
    const { local, seen } = await recordingServer(t);
    const result = await exchangeAll(local.port, `POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    assertInvalidArgument(result.replies[0], result.raw);
    assert.equal(result.replies.length, 1);
    await settle();
    assert.deepEqual(seen.filter((line) => line.startsWith('invoke')), []);
    await assertServes(local.port);
  });

  test(`${what}: an HTTP function gets 400 InvalidArgument JSON and never a clean end of the body`, async (t) => {
    const { local, seen } = await recordingServer(t);
    const result = await exchangeAll(local.port, `POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
    assertInvalidArgument(result.replies[0], result.raw);
    await settle();
    assert.ok(!seen.some((line) => line.startsWith('end /up')), seen.join('\n'));
    await assertServes(local.port);
  });
}

// ---------------------------------------------------------------------------------------------
// A body shorter than its content-length.

test('a body shorter than its content-length, then the client closes: invoke never runs, nobody is answered, the server goes on', async (t) => {
  const { local, seen } = await recordingServer(t);
  const result = await exchangeAll(local.port, 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', { destroyAfterMs: 100 });
  assert.equal(result.raw, '');
  await settle();
  assert.deepEqual(seen, []);
  await assertServes(local.port);
});

test('a body shorter than its content-length, then the client closes: an HTTP function sees an error, never an end', async (t) => {
  const { local, seen } = await recordingServer(t);
  const result = await exchangeAll(local.port, 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', { destroyAfterMs: 100 });
  assert.equal(result.raw, '');
  await settle();
  assert.deepEqual(seen, ['http POST /up', 'error /up']);
  await assertServes(local.port);
});

test('a body shorter than its content-length, then the client shuts down its side: 400 InvalidArgument JSON', async (t) => {
  const { local, seen } = await recordingServer(t);
  for (const path of ['/invoke', '/up']) {
    const result = await exchangeAll(local.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc`, { halfClose: true });
    assertInvalidArgument(result.replies[0], result.raw);
  }
  await settle();
  assert.ok(!seen.some((line) => line.startsWith('invoke') || line.startsWith('end')), seen.join('\n'));
  await assertServes(local.port);
});

// ---------------------------------------------------------------------------------------------
// Pipelining.

const GOOD_INVOKE = (body: string): string => `POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const GOOD_GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

test('pipelined good requests (event and HTTP) in one write are all answered, in order, byte for byte', async (t) => {
  const { local, seen } = await recordingServer(t);
  const result = await exchangeAll(local.port, GOOD_INVOKE('first') + GOOD_GET('/second') + GOOD_INVOKE('third\r\n\0\xff') + GOOD_GET('/fourth'));
  assert.deepEqual(result.replies.map((reply) => [reply.status, reply.body.toString('latin1')]), [
    [200, 'first'], [200, 'ok GET /second 0'], [200, 'third\r\n\0\xff'], [200, 'ok GET /fourth 0'],
  ]);
  // The handlers run concurrently (an event's body is read first); only the responses are ordered.
  assert.deepEqual(seen.filter((line) => !line.startsWith('end')).sort(), ['http GET /fourth', 'http GET /second', 'invoke first', 'invoke third\r\n\0\xff']);
});

test('a malformed request after good ones on the same keep-alive connection, sent once they were answered: 400 JSON, then close', async (t) => {
  const { local } = await recordingServer(t);
  const socket = connect(local.port, '127.0.0.1');
  t.after(() => socket.destroy());
  let buf = Buffer.alloc(0);
  let ended = false;
  socket.on('data', (chunk: Buffer) => { buf = Buffer.concat([buf, chunk]); });
  socket.on('end', () => { ended = true; });
  const repliesSoFar = (): RawResponse[] => parseReplies(buf, false).replies;
  const waitFor = async (count: number): Promise<void> => {
    for (let i = 0; i < 200 && repliesSoFar().length < count; i++) await settle(10);
  };
  socket.write(GOOD_GET('/one'));
  await waitFor(1);
  socket.write(GOOD_INVOKE('two'));
  await waitFor(2);
  socket.write('POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  await waitFor(3);
  for (let i = 0; i < 100 && !ended; i++) await settle(10);
  const replies = repliesSoFar();
  assert.deepEqual(replies.slice(0, 2).map((reply) => `${reply.status} ${reply.text}`), ['200 ok GET /one 0', '200 two']);
  assertInvalidArgument(replies[2], buf.toString('latin1'));
  assert.ok(ended, 'the server ended the connection');
});

test('a malformed request pipelined behind good ones in the same write: their responses first, in order, then the 400 and close', async (t) => {
  const { local, seen } = await recordingServer(t);
  const bad = 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
  const result = await exchangeAll(local.port, GOOD_GET('/one') + GOOD_INVOKE('two') + GOOD_GET('/three') + bad);
  assert.deepEqual(result.replies.slice(0, 3).map((reply) => `${reply.status} ${reply.text}`), ['200 ok GET /one 0', '200 two', '200 ok GET /three 0'], result.raw);
  assertInvalidArgument(result.replies[3], result.raw);
  assert.equal(result.replies.length, 4);
  assert.equal(result.ending, 'end');
  assert.equal(result.trailing, 0);
  await settle();
  assert.ok(!seen.some((line) => line.includes('Transfer')), seen.join('\n'));
  await assertServes(local.port);
});

test('a malformed request pipelined behind a slow handler: the 400 waits for its response (also for a Node-style response in pieces)', async (t) => {
  const local = await startServer({
    invoke: async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return event;
    },
    http: (req, res) => {
      res.write('piece 1, ');
      setTimeout(() => res.end('piece 2'), 150);
      req.resume();
    },
  });
  t.after(() => local.close());
  const result = await exchangeAll(local.port, GOOD_INVOKE('slow') + GOOD_GET('/pieces') + 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n');
  assert.deepEqual(result.replies.slice(0, 2).map((reply) => `${reply.status} ${reply.text}`), ['200 slow', '200 piece 1, piece 2'], result.raw);
  assertInvalidArgument(result.replies[2], result.raw);
  assert.equal(result.ending, 'end');
  const after = await exchangeAll(local.port, GOOD_GET('/after'));
  assert.equal(after.replies[0]?.text, 'piece 1, piece 2');
});

test('a malformed request first in a pipeline: only the 400, and none of the good requests behind it runs', async (t) => {
  const { local, seen } = await recordingServer(t);
  const result = await exchangeAll(local.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n' + GOOD_GET('/behind') + GOOD_INVOKE('behind'));
  assert.equal(result.replies.length, 1);
  assertInvalidArgument(result.replies[0], result.raw);
  await settle();
  assert.deepEqual(seen, []);
});

// ---------------------------------------------------------------------------------------------
// Request smuggling: a request hidden in another's body must never reach a handler.

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
const SMUGGLED_INVOKE = 'POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nsmuggled';

const SMUGGLING: [string, string, boolean][] = [
  // [what, wire, the handler may have been called for the outer request]
  ['CL.TE: content-length, then transfer-encoding: chunked', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, false],
  ['TE.CL: transfer-encoding: chunked, then a content-length', `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: ${5 + SMUGGLED.length}\r\n\r\n0\r\n\r\n${SMUGGLED}`, false],
  ['CL.TE on /invoke, hiding a second invoke', `POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED_INVOKE}`, false],
  ['two different content-lengths', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, false],
  ['two equal content-lengths', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${SMUGGLED.length}\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`, false],
  ['TE.TE: chunked, then a second transfer-encoding line', `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, false],
  ['transfer-encoding: chunked, identity', `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, false],
  ['a space before the colon of transfer-encoding', `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`, false],
  ['an obfuscated coding (xchunked)', `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, true],
];

for (const [what, wire, outerMayRun] of SMUGGLING) {
  test(`smuggling, ${what}: 400 InvalidArgument JSON and no second request reaches a handler`, async (t) => {
    const { local, seen } = await recordingServer(t);
    const result = await exchangeAll(local.port, wire);
    assert.equal(result.replies.length, 1, result.raw);
    assertInvalidArgument(result.replies[0], result.raw);
    assert.equal(result.ending, 'end');
    await settle();
    assert.ok(!seen.some((line) => line.includes('smuggled')), seen.join('\n'));
    if (!outerMayRun) assert.deepEqual(seen, []);
    else assert.ok(!seen.some((line) => line.startsWith('end')), 'the outer request never completes cleanly');
    await assertServes(local.port);
  });
}

// ---------------------------------------------------------------------------------------------
// The same cases against the CLI in a child process: the same answers, and FC's log stays whole.

test('against `fc-container serve`: every case gets the same answer and every Start marker has its End', { timeout: 60_000 }, async (t) => {
  const server = await spawnServer(join(FIXTURES, 'rel-malformed.mjs'));
  t.after(() => server.kill('SIGKILL'));
  let n = 0;
  const withId = (wire: string | Buffer): string | Buffer => {
    // Give requests the parser would accept far enough to dispatch an id, so their markers can be matched.
    if (typeof wire !== 'string') return wire;
    const at = wire.indexOf('\r\n');
    return at > 0 && wire.startsWith('P') ? `${wire.slice(0, at)}\r\nx-fc-request-id: mal-${n++}${wire.slice(at)}` : wire;
  };
  for (const [what, wire] of REJECTED) {
    const result = await exchangeAll(server.port, withId(wire));
    assert.equal(result.replies.length, 1, `${what}: ${result.raw.slice(0, 300)}`);
    assertInvalidArgument(result.replies[0], result.raw);
  }
  for (const [what, body] of BAD_CHUNKS) {
    for (const path of ['/invoke', '/up']) {
      const result = await exchangeAll(server.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nx-fc-request-id: chunk-${n++}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`);
      assert.equal(result.replies.length, 1, `${what} ${path}: ${result.raw.slice(0, 300)}`);
      assertInvalidArgument(result.replies[0], result.raw);
    }
  }
  for (const [what, wire] of SMUGGLING) {
    const result = await exchangeAll(server.port, withId(wire));
    assertInvalidArgument(result.replies[0], `${what}: ${result.raw}`);
  }
  for (const path of ['/invoke', '/up']) {
    await exchangeAll(server.port, `POST ${path} HTTP/1.1\r\nHost: x\r\nx-fc-request-id: short-${path.slice(1)}\r\nContent-Length: 10\r\n\r\nabc`, { destroyAfterMs: 100 });
  }
  await server.waitForOutput(/FC Invoke End RequestId: short-invoke\n[^]*FC Invoke End RequestId: short-up\n|FC Invoke End RequestId: short-up\n[^]*FC Invoke End RequestId: short-invoke\n/);

  const seen = await exchangeAll(server.port, 'GET /__rel_seen HTTP/1.1\r\nHost: x\r\nx-fc-request-id: seen\r\nConnection: close\r\n\r\n');
  const record = seen.replies[0]!.json() as string[];
  assert.ok(!record.some((line) => line.includes('smuggled')), record.join('\n'));
  assert.ok(!record.some((line) => line.startsWith('invoke')), `invoke never runs on a broken request:\n${record.join('\n')}`);
  await server.waitForOutput(/FC Invoke End RequestId: seen\n/);

  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  for (const line of server.stdout().split('\n')) {
    const marker = /^FC (?:Invoke|Initialize) (Start|End) RequestId: (.+)$/.exec(line);
    if (!marker) continue;
    const map = marker[1] === 'Start' ? starts : ends;
    map.set(marker[2]!, (map.get(marker[2]!) ?? 0) + 1);
  }
  assert.ok(starts.size > 0);
  for (const [id, count] of starts) assert.equal(ends.get(id), count, `Start without its End for ${id}`);
  for (const [id, count] of ends) assert.equal(starts.get(id), count, `End without its Start for ${id}`);
  assert.doesNotMatch(server.stdout(), /could not be sent|Uncaught/);
  assert.equal(server.stderr(), '');
  t.diagnostic(`child: ${REJECTED.length + BAD_CHUNKS.length * 2 + SMUGGLING.length + 2} malformed exchanges, ${starts.size} requests dispatched far enough to print markers, all paired`);
});
