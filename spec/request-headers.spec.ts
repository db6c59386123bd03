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
import { startServer, type LocalServer } from './helpers.js';

// Raw HTTP/1.1 on a TCP socket (local to this file: spec/helpers.ts is not ours to change).

type HeaderList = [string, string][];

interface RawReply {
  status: number;
  headers: HeaderList;
  body: string;
  raw: string;
  header(name: string): string | undefined;
  json(): any;
}

/** A request's bytes; header strings are written one byte per character (latin1). */
function rawRequest(method: string, target: string, headers: HeaderList, body = ''): Buffer {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), Buffer.from(body, 'latin1')]);
}

/** The first final response in `buf`, or undefined while it is incomplete. */
function parseReply(buf: Buffer, closed: boolean): RawReply | undefined {
  const text = buf.toString('latin1');
  let offset = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', offset);
    if (end === -1) return undefined;
    const lines = text.slice(offset, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    if (status >= 100 && status < 200) {
      offset = end + 4;
      continue;
    }
    const headers: HeaderList = lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const find = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const rest = text.slice(end + 4);
    let body: string;
    const length = find('content-length');
    if (length !== undefined) {
      if (rest.length < Number(length)) return undefined;
      body = rest.slice(0, Number(length));
    } else if (find('transfer-encoding')?.toLowerCase() === 'chunked') {
      body = '';
      let at = 0;
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', at);
        if (lineEnd === -1) return undefined;
        const size = parseInt(rest.slice(at, lineEnd), 16);
        if (size === 0) break;
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
    } else {
      if (!closed) return undefined;
      body = rest;
    }
    const utf8 = Buffer.from(body, 'latin1').toString('utf8');
    return { status, headers, body: utf8, raw: text, header: find, json: () => JSON.parse(utf8) };
  }
}

/** Sends raw bytes and resolves to the first complete final response; rejects on a reset before it. */
function exchange(port: number, data: Buffer | string, timeoutMs = 10_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (error: Error | null, reply?: RawReply): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new Error(`no complete response in ${timeoutMs} ms:\n${buf.toString('latin1')}`)), timeoutMs);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const reply = parseReply(buf, false);
      if (reply) finish(null, reply);
    });
    const onEnd = (): void => {
      const reply = parseReply(buf, true);
      finish(reply ? null : new Error(`connection closed before a complete response:\n${buf.toString('latin1')}`), reply);
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', (error) => {
      const reply = parseReply(buf, true);
      finish(reply ? null : error, reply);
    });
  });
}

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
