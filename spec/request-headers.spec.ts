/**
 * Request headers FC never forwards to an HTTP function: `accept-encoding`, `connection`,
 * `keep-alive`, `proxy-authorization`, `te` and `trailer` are gone from `req.headers` and
 * `req.rawHeaders`, whatever their case. `x-fc-*`, `content-length` and `transfer-encoding` (it
 * frames the body the function reads) stay, as does everything else. Raw TCP, so the spec
 * decides every header on the wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { startServer, type LocalServer } from './helpers/local-server.js';
import { exchange, rawRequest, type HeaderList } from './helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------


interface Seen {
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  /** `req.headersDistinct`, or the message of what reading it threw. */
  distinct: Record<string, string[]> | { threw: string };
  body: string;
}

function readDistinct(req: IncomingMessage): Seen['distinct'] {
  try {
    return { ...req.headersDistinct } as Record<string, string[]>;
  } catch (error) {
    return { threw: String(error) };
  }
}

/** An HTTP function that answers with what it saw: headers, raw headers and the body it read. */
async function echoServer(t: { after(fn: () => unknown): void }): Promise<LocalServer> {
  const local = await startServer({
    http: (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const seen: Seen = {
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          distinct: readDistinct(req),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(seen));
      });
    },
  });
  t.after(() => local.close());
  return local;
}

async function seenFor(port: number, headers: HeaderList, body?: { chunked: boolean; text: string }): Promise<Seen> {
  const all: HeaderList = [['Host', '127.0.0.1'], ...headers];
  let payload = '';
  if (body?.chunked) {
    all.push(['Transfer-Encoding', 'chunked']);
    payload = `${body.text.length.toString(16)}\r\n${body.text}\r\n0\r\n\r\n`;
  } else if (body) {
    all.push(['Content-Length', String(body.text.length)]);
    payload = body.text;
  }
  const reply = await exchange(port, rawRequest('POST', '/echo', all, payload));
  assert.equal(reply.status, 200, reply.raw);
  return reply.json() as Seen;
}

function rawNames(seen: Seen): string[] {
  return seen.rawHeaders.filter((_value, i) => i % 2 === 0).map((name) => name.toLowerCase());
}

// ---------------------------------------------------------------------------------------------

const HIDDEN: [string, string][] = [
  ['accept-encoding', 'gzip, deflate, br'],
  ['connection', 'keep-alive'],
  ['keep-alive', 'timeout=5, max=100'],
  ['proxy-authorization', 'Basic cHJveHk6c2VjcmV0'],
  ['te', 'trailers'],
  ['trailer', 'x-checksum'],
];

/** The wire spelling: lower case as FC sends, and capitalised as browsers and curl send. */
function capitalised(name: string): string {
  return name.length === 2 ? name.toUpperCase() : name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

for (const [name, value] of HIDDEN) {
  for (const spelling of [name, capitalised(name)]) {
    test(`"${spelling}" is not in req.headers`, async (t) => {
      const local = await echoServer(t);
      const seen = await seenFor(local.port, [[spelling, value], ['x-custom', 'stays']]);
      assert.equal(seen.headers[name], undefined);
    });

    test(`"${spelling}" is not in req.rawHeaders`, async (t) => {
      const local = await echoServer(t);
      const seen = await seenFor(local.port, [[spelling, value], ['x-custom', 'stays']]);
      assert.ok(!rawNames(seen).includes(name), `rawHeaders: ${JSON.stringify(seen.rawHeaders)}`);
    });
  }

  test(`"${name}" is not in req.headersDistinct (and reading it does not throw)`, async (t) => {
    const local = await echoServer(t);
    const seen = await seenFor(local.port, [[name, value], ['x-custom', 'stays']]);
    assert.deepEqual(seen.distinct, { host: ['127.0.0.1'], 'x-custom': ['stays'] });
  });
}

test('with all six hidden headers sent, the others remain in order, values intact, in rawHeaders', async (t) => {
  const local = await echoServer(t);
  const seen = await seenFor(local.port, [
    ['Accept-Encoding', 'gzip'],
    ['x-first', '1'],
    ['Connection', 'keep-alive'],
    ['Keep-Alive', 'timeout=5'],
    ['Authorization', 'Bearer app-token'],
    ['Proxy-Authorization', 'Basic xyz'],
    ['TE', 'trailers'],
    ['Trailer', 'x-checksum'],
    ['x-last', '2'],
  ]);
  assert.deepEqual(seen.rawHeaders, ['Host', '127.0.0.1', 'x-first', '1', 'Authorization', 'Bearer app-token', 'x-last', '2']);
});

test('x-fc-* request headers stay visible to the HTTP function', async (t) => {
  const local = await echoServer(t);
  const seen = await seenFor(local.port, [['x-fc-request-id', 'req-42'], ['x-fc-function-name', 'fn'], ['x-fc-client-ip', '10.0.0.1']]);
  assert.equal(seen.headers['x-fc-request-id'], 'req-42');
  assert.equal(seen.headers['x-fc-function-name'], 'fn');
  assert.equal(seen.headers['x-fc-client-ip'], '10.0.0.1');
});

test('content-length stays, and the body it frames is read whole', async (t) => {
  const local = await echoServer(t);
  const seen = await seenFor(local.port, [['Accept-Encoding', 'gzip']], { chunked: false, text: 'hello body' });
  assert.equal(seen.headers['content-length'], '10');
  assert.equal(seen.body, 'hello body');
});

test('transfer-encoding stays, and the chunked body it frames is read whole', async (t) => {
  const local = await echoServer(t);
  const seen = await seenFor(local.port, [['TE', 'trailers'], ['Trailer', 'x-checksum']], { chunked: true, text: 'chunked body' });
  assert.equal(seen.headers['transfer-encoding'], 'chunked');
  assert.equal(seen.body, 'chunked body');
});

test('ordinary headers (authorization, user-agent, accept, cookie) stay', async (t) => {
  const local = await echoServer(t);
  const seen = await seenFor(local.port, [
    ['Authorization', 'Bearer abc'],
    ['User-Agent', 'spec/1.0'],
    ['Accept', 'application/json'],
    ['Cookie', 'a=1'],
    ['Connection', 'close'],
  ]);
  assert.equal(seen.headers.authorization, 'Bearer abc');
  assert.equal(seen.headers['user-agent'], 'spec/1.0');
  assert.equal(seen.headers.accept, 'application/json');
  assert.equal(seen.headers.cookie, 'a=1');
});

test('hiding a request header does not change the connection: keep-alive still keeps the connection for the next request', async (t) => {
  const local = await echoServer(t);
  const one = rawRequest('POST', '/echo', [['Host', '127.0.0.1'], ['Connection', 'keep-alive'], ['Content-Length', '0']]);
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(local.port, '127.0.0.1');
    let got = '';
    socket.on('connect', () => socket.write(Buffer.concat([one, one])));
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1');
      if (got.split('HTTP/1.1 200').length === 3 && got.endsWith('}')) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    setTimeout(() => { socket.destroy(); resolve(got); }, 3000).unref();
  });
  assert.equal(text.split('HTTP/1.1 200').length, 3, text);
});

test('the header scan reads FC\'s and the framing headers in any case, and no look-alike of the same length', async () => {
  const { scanRequestHeaders } = await import('../lib/rules/request-headers.js');
  const scan = (raw: string[]): Record<string, unknown> => {
    const out = { headerBytes: 0, controlPath: '', requestId: '', basePath: '', functionTimeout: 0, initializationTimeout: 0, contentLength: -1, chunked: false, hasHost: false, hasHiddenHeaders: false };
    scanRequestHeaders(raw, out);
    return out;
  };
  const read = scan(['HOST', 'a', 'Content-Length', '12', 'Transfer-ENCODING', 'chunked', 'X-FC-Request-Id', 'r-1',
    'X-Fc-Control-Path', '/invoke', 'x-FC-base-path', '/b/', 'X-Fc-Function-Timeout', '2.5', 'X-FC-INITIALIZATION-TIMEOUT', '3']);
  assert.deepEqual([read.hasHost, read.contentLength, read.chunked, read.requestId, read.controlPath, read.basePath, read.functionTimeout, read.initializationTimeout],
    [true, 12, true, 'r-1', '/invoke', '/b/', 2.5, 3]);
  // Same lengths, one char off (a `-` where FC's name has a letter, `_` for `-`, a digit).
  const none = scan(['hos7', 'a', 'content_length', '12', 'transfer-encodin9', 'x', 'x-fc-request-i-', 'r']);
  assert.deepEqual([none.hasHost, none.contentLength, none.chunked, none.requestId], [false, -1, false, '']);
});
