/**
 * Body framing of an HTTP function's response. The handler's `content-length` is stripped (FC's
 * rule), so the server frames the body itself: a body given whole to `end` goes out with its true
 * `Content-Length`, whatever the handler declared; a streamed body, one with trailers, or one
 * whose headers were flushed early goes out chunked. Every case is followed by a second request
 * on the same keep-alive connection, which a wrong frame would corrupt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { startServer } from './helpers/local-server.js';
import { sendRaw } from './helpers/raw-client.js';

type Case = (res: ServerResponse) => void;

const CASES: Record<string, Case> = {
  // The usual Node style: a declared (correct) length, stripped and put back by the server.
  declared: (res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 11 });
    res.end('hello world');
  },
  // A declared length that lies: the client must still get the whole body and the next response.
  lying: (res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('hello world');
  },
  bytes: (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.from([0, 1, 2, 3, 255]));
  },
  utf8: (res) => {
    res.writeHead(200);
    res.end('héllo ✓');
  },
  hex: (res) => {
    res.writeHead(200);
    res.end('68656c6c6f', 'hex');
  },
  empty: (res) => {
    res.writeHead(200);
    res.end();
  },
  'end callback': (res) => {
    res.writeHead(200);
    res.end(() => undefined);
  },
  streamed: (res) => {
    res.writeHead(200, { 'content-length': 2 });
    res.write('a');
    res.end('b');
  },
  trailers: (res) => {
    res.writeHead(200);
    res.addTrailers({ 'x-checksum': 'abc' });
    res.end('with trailers');
  },
  flushed: (res) => {
    res.writeHead(200);
    res.flushHeaders();
    res.end('after flush');
  },
  implicit: (res) => {
    res.setHeader('content-length', 99);
    res.end('implicit');
  },
};

interface Seen {
  status: number;
  headers: IncomingMessage['headers'];
  trailers: NodeJS.Dict<string>;
  body: Buffer;
  text: string;
  socket: Socket;
}

/** One request through `agent`, read whole, with its trailers and the socket it came on. */
function fetchOn(port: number, agent: Agent, path: string): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body, text: body.toString('utf8'), socket: res.socket });
      });
    });
    req.on('error', reject);
    // A frame that promises more bytes than it sends leaves the response open: fail, do not hang.
    req.setTimeout(5000, () => req.destroy(new Error(`${path}: response incomplete after 5 s (a broken frame)`)));
    req.end();
  });
}

async function startFraming(t: { after(fn: () => Promise<void>): void }): Promise<{ port: number; agent: Agent }> {
  const local = await startServer({
    http: (req, res) => {
      const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
      if (name === 'next') res.end('next ok');
      else CASES[name]!(res);
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await local.close();
  });
  return { port: local.port, agent };
}

/** The response for case `name`, then a second request on the same keep-alive socket. */
async function exchangeOn(t: { after(fn: () => Promise<void>): void }, name: string): Promise<{ first: Seen; second: Seen }> {
  const { port, agent } = await startFraming(t);
  const first = await fetchOn(port, agent, `/${encodeURIComponent(name)}`);
  const second = await fetchOn(port, agent, '/next');
  assert.equal(second.text, 'next ok');
  assert.equal(second.socket, first.socket, 'the second request reused the keep-alive connection');
  return { first, second };
}

for (const [name, expected] of [
  ['declared', 'hello world'],
  ['lying', 'hello world'],
  ['utf8', 'héllo ✓'],
  ['hex', 'hello'],
  ['empty', ''],
  ['end callback', ''],
] as const) {
  test(`a body given whole to end() goes out with its true content-length: ${name}`, async (t) => {
    const { first } = await exchangeOn(t, name);
    assert.equal(first.status, 200);
    assert.equal(first.text, expected);
    assert.equal(first.headers['content-length'], String(Buffer.byteLength(expected)));
    assert.equal(first.headers['transfer-encoding'], undefined);
  });
}

test('a body given whole to end() as bytes goes out with its length', async (t) => {
  const { first } = await exchangeOn(t, 'bytes');
  assert.deepEqual([...first.body], [0, 1, 2, 3, 255]);
  assert.equal(first.headers['content-length'], '5');
  assert.equal(first.headers['transfer-encoding'], undefined);
});

for (const [name, expected] of [
  ['streamed', 'ab'],
  ['flushed', 'after flush'],
] as const) {
  test(`a body already under way when end() runs stays chunked: ${name}`, async (t) => {
    const { first } = await exchangeOn(t, name);
    assert.equal(first.text, expected);
    assert.equal(first.headers['transfer-encoding'], 'chunked');
    assert.equal(first.headers['content-length'], undefined);
  });
}

test('trailers keep the response chunked, and reach the client', async (t) => {
  const { first } = await exchangeOn(t, 'trailers');
  assert.equal(first.text, 'with trailers');
  assert.equal(first.headers['transfer-encoding'], 'chunked');
  assert.equal(first.trailers['x-checksum'], 'abc');
});

test('a body set without writeHead gets its true length from Node, not the stripped one', async (t) => {
  const { first } = await exchangeOn(t, 'implicit');
  assert.equal(first.text, 'implicit');
  assert.equal(first.headers['content-length'], '8');
});

test('a HEAD response carries no body and no chunked frame; the next request on the connection is answered', async (t) => {
  const local = await startServer({ http: (req, res) => (req.method === 'HEAD' ? CASES.declared!(res) : res.end('next ok')) });
  t.after(() => local.close());
  const wire = await sendRaw(local.port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const [head, second] = wire.split(/(?=HTTP\/1\.1 )/);
  assert.match(head!, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(head!, /transfer-encoding/i);
  assert.ok(head!.endsWith('\r\n\r\n'), 'nothing after the HEAD response headers');
  assert.match(second!, /^HTTP\/1\.1 200 [\s\S]*\r\n\r\nnext ok$/);
});
