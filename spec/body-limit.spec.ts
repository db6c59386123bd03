/**
 * FC's request-body limit: 6 MiB (6,291,456 bytes) in FC 2.0, 32 MiB in `fc3`. A declared
 * `content-length` over it is refused before the body is read (and before `100 Continue`); a
 * chunked body is counted as it streams. Over it: 400 `InvalidArgument`; the event function never
 * runs; an HTTP function reading the body gets a `LimitError` on `req` and no `end`. A client
 * still uploading gets its 400, not a reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { startServer, type LocalServer } from './helpers/local-server.js';
import { sendRaw } from './helpers/raw-client.js';
import { LimitError, type Handlers, type Options } from '../lib/index.js';
import { exchange, parseReply, rawRequest, rawUpload, type HeaderList, type RawReply } from './helpers/raw-client.js';

const MIB = 1024 * 1024;
const DEFAULT_BODY = 6 * MIB;
const FC3_BODY = 32 * MIB;

// ---------------------------------------------------------------------------------------------


/** A chunked body on the wire: the given chunks, then the last chunk. */
function chunked(...parts: string[]): string {
  return parts.map((part) => `${Buffer.byteLength(part, 'latin1').toString(16)}\r\n${part}\r\n`).join('') + '0\r\n\r\n';
}

interface StreamedReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Bytes the client handed to the socket before the response had ended. */
  sent: number;
  json(): any;
}

/**
 * Streams a `total`-byte upload with node:http (64 KiB writes, honouring backpressure), declared by
 * `content-length` or sent chunked, and resolves once the response has been read whole. A socket
 * error before that rejects: the client saw a reset instead of its answer.
 */
function upload(port: number, options: { path: string; total: number; chunked: boolean; headers?: Record<string, string>; agent?: Agent | false }): Promise<StreamedReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...options.headers };
    if (!options.chunked) headers['content-length'] = String(options.total);
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: options.path, headers, agent: options.agent ?? false });
    const block = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let done = false;
    const pump = (): void => {
      while (!done && sent < options.total) {
        const size = Math.min(block.length, options.total - sent);
        sent += size;
        if (!req.write(size === block.length ? block : block.subarray(0, size))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!done) req.end();
    };
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => { if (!done) { done = true; reject(error); } });
      res.on('end', () => {
        if (done) return;
        done = true;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, sent, json: () => JSON.parse(text) });
        // The answer is in; stop uploading.
        req.destroy();
      });
    });
    req.on('error', (error) => {
      if (done) return;
      done = true;
      reject(Object.assign(error, { message: `${error.message} (after ${sent} bytes sent, before the response was read)` }));
    });
    pump();
  });
}

interface Counted {
  local: LocalServer;
  calls(): number;
}

/**
 * A server whose event function answers the length of its event and whose HTTP function reads
 * the body and answers its length; both count their calls.
 */
async function countingServer(options: Options, t: { after(fn: () => unknown): void }): Promise<Counted> {
  let calls = 0;
  const handlers: Handlers = {
    invoke: (event) => { calls++; return `event ${event.length}`; },
    http: (req, res) => {
      calls++;
      let size = 0;
      req.on('data', (chunk: Buffer) => { size += chunk.length; });
      req.on('end', () => res.end(`body ${size}`));
    },
  };
  const local = await startServer(handlers, options);
  t.after(() => local.close());
  return { local, calls: () => calls };
}

function assertRefused(reply: { status: number; json(): any }, limit: number, size?: number): void {
  assert.equal(reply.status, 400);
  const body = reply.json();
  assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'ErrorMessage']);
  assert.equal(body.ErrorCode, 'InvalidArgument');
  assert.match(body.ErrorMessage, /body/i);
  assert.ok(body.ErrorMessage.includes(String(limit)), `message names the limit ${limit}: ${body.ErrorMessage}`);
  if (size !== undefined) assert.ok(body.ErrorMessage.includes(String(size)), `message names the size ${size}: ${body.ErrorMessage}`);
}

const HOST: HeaderList = [['Host', '127.0.0.1']];
const INVOKE: HeaderList = [['Host', '127.0.0.1'], ['x-fc-control-path', '/invoke']];

function postLength(port: number, path: string, headers: HeaderList, body: string): Promise<RawReply> {
  return exchange(port, rawRequest('POST', path, [...headers, ['Content-Length', String(Buffer.byteLength(body, 'latin1'))]], body));
}

function postChunked(port: number, path: string, headers: HeaderList, ...parts: string[]): Promise<RawReply> {
  return exchange(port, rawRequest('POST', path, [...headers, ['Transfer-Encoding', 'chunked']], chunked(...parts)));
}

// ---------------------------------------------------------------------------------------------
// content-length, byte edges with an override (body: 10).

test('override body: 10: a 10-byte event (content-length) reaches invoke whole', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  const reply = await postLength(local.port, '/invoke', INVOKE, '0123456789');
  assert.equal(reply.body, 'event 10');
  assert.equal(calls(), 1);
});

test('override body: 10: an 11-byte event (content-length) gets 400 naming body, 10 and 11', async (t) => {
  const { local } = await countingServer({ limits: { body: 10 } }, t);
  const reply = await postLength(local.port, '/invoke', INVOKE, '0123456789A');
  assert.match(reply.header('content-type') ?? '', /^application\/json/);
  assertRefused(reply, 10, 11);
});

test('override body: 10: invoke is never called for an 11-byte event', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  await postLength(local.port, '/invoke', INVOKE, '0123456789A');
  assert.equal(calls(), 0);
});

test('override body: 10: an HTTP request with a 10-byte body reaches the HTTP function', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  const reply = await postLength(local.port, '/upload', HOST, '0123456789');
  assert.equal(reply.body, 'body 10');
  assert.equal(calls(), 1);
});

test('override body: 10: an HTTP request declaring 11 bytes is refused before the HTTP function runs', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  const reply = await postLength(local.port, '/upload', HOST, '0123456789A');
  assertRefused(reply, 10, 11);
  assert.equal(calls(), 0);
});

test('a content-length over the limit is refused before any body byte arrives', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  // Headers only, no body sent (and none ever will be): the answer must come anyway.
  const reply = await exchange(local.port, rawRequest('POST', '/invoke', [...INVOKE, ['Content-Length', '1000000']]));
  assertRefused(reply, 10, 1000000);
  assert.equal(calls(), 0);
});

test("limits: { preset: 'fc3', body: 10 }: the override applies to the body", async (t) => {
  const { local, calls } = await countingServer({ limits: { preset: 'fc3', body: 10 } }, t);
  assertRefused(await postLength(local.port, '/invoke', INVOKE, '0123456789A'), 10, 11);
  assert.equal(calls(), 0);
});

// ---------------------------------------------------------------------------------------------
// content-length, the real edges.

test('default limit: a 6,291,456-byte event (content-length) reaches invoke whole', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const reply = await upload(local.port, { path: '/invoke', total: DEFAULT_BODY, chunked: false, headers: { 'x-fc-control-path': '/invoke' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, `event ${DEFAULT_BODY}`);
  assert.equal(calls(), 1);
});

test('default limit: a 6,291,457-byte event (content-length) gets 400 naming 6291456 and 6291457, invoke not called', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const reply = await upload(local.port, { path: '/invoke', total: DEFAULT_BODY + 1, chunked: false, headers: { 'x-fc-control-path': '/invoke' } });
  assertRefused(reply, DEFAULT_BODY, DEFAULT_BODY + 1);
  assert.equal(calls(), 0);
});

test('default limit: an HTTP request declaring 6,291,457 bytes is refused, the HTTP function not called', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const reply = await upload(local.port, { path: '/upload', total: DEFAULT_BODY + 1, chunked: false });
  assertRefused(reply, DEFAULT_BODY, DEFAULT_BODY + 1);
  assert.equal(calls(), 0);
});

test("limits: 'fc3': a 33,554,432-byte event (content-length) reaches invoke whole", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  const reply = await upload(local.port, { path: '/invoke', total: FC3_BODY, chunked: false, headers: { 'x-fc-control-path': '/invoke' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, `event ${FC3_BODY}`);
  assert.equal(calls(), 1);
});

test("limits: 'fc3': a 33,554,433-byte event (content-length) gets 400 naming 33554432 and 33554433, invoke not called", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  const reply = await upload(local.port, { path: '/invoke', total: FC3_BODY + 1, chunked: false, headers: { 'x-fc-control-path': '/invoke' } });
  assertRefused(reply, FC3_BODY, FC3_BODY + 1);
  assert.equal(calls(), 0);
});

test('FC_CONTAINER_LIMITS=fc3: a 6,291,457-byte event passes (the 32 MiB limit applies)', async (t) => {
  const before = process.env.FC_CONTAINER_LIMITS;
  process.env.FC_CONTAINER_LIMITS = 'fc3';
  let counted: Counted;
  try {
    counted = await countingServer({}, t);
  } finally {
    if (before === undefined) delete process.env.FC_CONTAINER_LIMITS;
    else process.env.FC_CONTAINER_LIMITS = before;
  }
  const reply = await upload(counted.local.port, { path: '/invoke', total: DEFAULT_BODY + 1, chunked: false, headers: { 'x-fc-control-path': '/invoke' } });
  assert.equal(reply.body, `event ${DEFAULT_BODY + 1}`);
});

// ---------------------------------------------------------------------------------------------
// Expect: 100-continue.

test('Expect: 100-continue with content-length over the limit: the reply is the 400, never 100 Continue', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  const raw = await sendRaw(local.port, rawRequest('POST', '/invoke', [...INVOKE, ['Content-Length', '11'], ['Expect', '100-continue']]));
  assert.ok(raw.startsWith('HTTP/1.1 400 '), raw);
  assert.ok(!/100 Continue/i.test(raw), raw);
  const reply = parseReply(Buffer.from(raw, 'latin1'), true)!;
  assertRefused(reply, 10, 11);
  assert.equal(calls(), 0);
});

test('Expect: 100-continue at the default limit + 1 (6,291,457): 400 instead of 100 Continue, HTTP route too', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const raw = await sendRaw(local.port, rawRequest('PUT', '/upload', [...HOST, ['Content-Length', String(DEFAULT_BODY + 1)], ['Expect', '100-continue']]));
  assert.ok(raw.startsWith('HTTP/1.1 400 '), raw);
  assert.ok(!/100 Continue/i.test(raw), raw);
  assert.equal(calls(), 0);
});

test('Expect: 100-continue within the limit: 100 Continue comes first, then the body is served', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  const raw = await sendRaw(local.port, rawRequest('POST', '/invoke', [...INVOKE, ['Content-Length', '10'], ['Expect', '100-continue']]));
  assert.ok(raw.startsWith('HTTP/1.1 100 Continue\r\n'), raw);
  assert.equal(calls(), 0); // the body was never sent
});

// ---------------------------------------------------------------------------------------------
// Chunked bodies are counted as they stream.

test('chunked, override body: 10: a 10-byte chunked event reaches invoke whole', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  const reply = await postChunked(local.port, '/invoke', INVOKE, '01234', '56789');
  assert.equal(reply.body, 'event 10');
  assert.equal(calls(), 1);
});

test('chunked, override body: 10: an 11-byte chunked event gets 400 InvalidArgument naming the body and 10', async (t) => {
  const { local } = await countingServer({ limits: { body: 10 } }, t);
  const reply = await postChunked(local.port, '/invoke', INVOKE, '01234', '56789A');
  assertRefused(reply, 10);
});

test('chunked, override body: 10: invoke is never called for an 11-byte chunked event', async (t) => {
  const { local, calls } = await countingServer({ limits: { body: 10 } }, t);
  await postChunked(local.port, '/invoke', INVOKE, '01234', '56789A');
  assert.equal(calls(), 0);
});

test('chunked, default limit: a 6,291,456-byte chunked event reaches invoke whole', async (t) => {
  const { local } = await countingServer({}, t);
  const reply = await upload(local.port, { path: '/invoke', total: DEFAULT_BODY, chunked: true, headers: { 'x-fc-control-path': '/invoke' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.body, `event ${DEFAULT_BODY}`);
});

test('chunked, default limit: a 6,291,457-byte chunked event gets 400, invoke not called', async (t) => {
  const { local, calls } = await countingServer({}, t);
  const reply = await upload(local.port, { path: '/invoke', total: DEFAULT_BODY + 1, chunked: true, headers: { 'x-fc-control-path': '/invoke' } });
  assertRefused(reply, DEFAULT_BODY);
  assert.equal(calls(), 0);
});

test("chunked, limits: 'fc3': 33,554,432 bytes pass, 33,554,433 are refused", async (t) => {
  const { local, calls } = await countingServer({ limits: 'fc3' }, t);
  const ok = await upload(local.port, { path: '/invoke', total: FC3_BODY, chunked: true, headers: { 'x-fc-control-path': '/invoke' } });
  assert.equal(ok.body, `event ${FC3_BODY}`);
  const over = await upload(local.port, { path: '/invoke', total: FC3_BODY + 1, chunked: true, headers: { 'x-fc-control-path': '/invoke' } });
  assertRefused(over, FC3_BODY);
  assert.equal(calls(), 1);
});

// ---------------------------------------------------------------------------------------------
// An HTTP function reading a chunked body past the limit.

interface ReadEvents {
  data: number;
  ended: boolean;
  errors: unknown[];
  /** Resolves at the first 'error' on req. */
  errored: Promise<unknown>;
}

/** An HTTP function that reads the body and records what `req` emits; `respondFirst` starts its response before reading. */
async function readingServer(options: Options, respondFirst: boolean, t: { after(fn: () => unknown): void }): Promise<{ local: LocalServer; events: ReadEvents }> {
  let onError!: (error: unknown) => void;
  const events: ReadEvents = { data: 0, ended: false, errors: [], errored: new Promise((resolve) => { onError = resolve; }) };
  const local = await startServer({
    http: (req, res) => {
      if (respondFirst) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('started;');
      }
      req.on('data', (chunk: Buffer) => { events.data += chunk.length; });
      req.on('end', () => {
        events.ended = true;
        res.end(`read ${events.data}`);
      });
      req.on('error', (error) => {
        events.errors.push(error);
        onError(error);
        if (respondFirst) res.end('aborted');
      });
    },
  }, options);
  t.after(() => local.close());
  return { local, events };
}

/** Waits for `promise`, failing the test if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('chunked HTTP body within the limit (10 of 10 bytes): the handler reads it all and gets end', async (t) => {
  const { local, events } = await readingServer({ limits: { body: 10 } }, false, t);
  const reply = await postChunked(local.port, '/upload', HOST, '01234', '56789');
  assert.equal(reply.body, 'read 10');
  assert.equal(events.ended, true);
  assert.deepEqual(events.errors, []);
});

test('chunked HTTP body past the limit: the client gets the 400 InvalidArgument JSON', async (t) => {
  const { local } = await readingServer({ limits: { body: 10 } }, false, t);
  const reply = await postChunked(local.port, '/upload', HOST, '01234', '56789A');
  assert.match(reply.header('content-type') ?? '', /^application\/json/);
  assertRefused(reply, 10);
});

test('chunked HTTP body past the limit: req emits an error that is instanceof LimitError', async (t) => {
  const { local, events } = await readingServer({ limits: { body: 10 } }, false, t);
  await postChunked(local.port, '/upload', HOST, '01234', '56789A');
  const error = await within(events.errored, 5000, "'error' on req");
  assert.ok(error instanceof LimitError, `got ${String(error)}`);
});

test("chunked HTTP body past the limit: the error's code is FC_BODY_TOO_LARGE", async (t) => {
  const { local, events } = await readingServer({ limits: { body: 10 } }, false, t);
  await postChunked(local.port, '/upload', HOST, '01234', '56789A');
  const error = await within(events.errored, 5000, "'error' on req");
  assert.equal((error as LimitError).code, 'FC_BODY_TOO_LARGE');
});

test('chunked HTTP body past the limit: no end event, and no bytes past the limit are delivered', async (t) => {
  const { local, events } = await readingServer({ limits: { body: 10 } }, false, t);
  await postChunked(local.port, '/upload', HOST, '01234', '56789A', 'more bytes after the limit');
  await within(events.errored, 5000, "'error' on req");
  // Give a late 'end' a chance to show up.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(events.ended, false);
  assert.ok(events.data <= 10, `the handler saw ${events.data} bytes`);
});

test('chunked HTTP body past the default 6 MiB limit: 400 to the client, LimitError on req', async (t) => {
  const { local, events } = await readingServer({}, false, t);
  const reply = await upload(local.port, { path: '/upload', total: DEFAULT_BODY + 1, chunked: true });
  assertRefused(reply, DEFAULT_BODY);
  const error = await within(events.errored, 10_000, "'error' on req");
  assert.ok(error instanceof LimitError);
  assert.equal(events.ended, false);
});

test('chunked HTTP body of exactly 6,291,456 bytes is read whole with end, no error', async (t) => {
  const { local, events } = await readingServer({}, false, t);
  const reply = await upload(local.port, { path: '/upload', total: DEFAULT_BODY, chunked: true });
  assert.equal(reply.body, `read ${DEFAULT_BODY}`);
  assert.deepEqual(events.errors, []);
});

test('chunked HTTP body past the limit after the handler started its response: the handler still gets the LimitError, its response stands', async (t) => {
  const { local, events } = await readingServer({ limits: { body: 10 } }, true, t);
  const reply = await postChunked(local.port, '/upload', HOST, '01234', '56789A');
  const error = await within(events.errored, 5000, "'error' on req");
  assert.ok(error instanceof LimitError);
  assert.equal(reply.status, 200);
  assert.equal(events.ended, false);
});

// ---------------------------------------------------------------------------------------------
// A 32 MiB upload against the 6 MiB default gets its 400, not a reset.

for (const framing of ['content-length', 'chunked'] as const) {
  for (const connection of ['keep-alive', 'close'] as const) {
    test(`a 32 MiB upload (${framing}, connection: ${connection}) to /invoke gets the 400 JSON, not a reset`, async (t) => {
      const { local, calls } = await countingServer({}, t);
      const agent = connection === 'keep-alive' ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
      t.after(() => { if (agent) agent.destroy(); });
      const reply = await upload(local.port, { path: '/invoke', total: 32 * MIB, chunked: framing === 'chunked', headers: { 'x-fc-control-path': '/invoke' }, agent });
      assertRefused(reply, DEFAULT_BODY, framing === 'content-length' ? 32 * MIB : undefined);
      assert.equal(calls(), 0);
    });

    test(`a 32 MiB upload (${framing}, connection: ${connection}) to an HTTP function gets the 400 JSON, not a reset`, async (t) => {
      const { local } = await readingServer({}, false, t);
      const agent = connection === 'keep-alive' ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
      t.after(() => { if (agent) agent.destroy(); });
      const reply = await upload(local.port, { path: '/upload', total: 32 * MIB, chunked: framing === 'chunked', agent });
      assertRefused(reply, DEFAULT_BODY, framing === 'content-length' ? 32 * MIB : undefined);
    });
  }
}

// The same on raw TCP, where the client keeps uploading after the answer and any reset shows:
// the runtime must read and drop the rest of the body rather than close a socket with unread
// data (which makes the kernel send RST, and a client that is still writing may lose the 400).

for (const framing of ['content-length', 'chunked'] as const) {
  for (const connection of ['keep-alive', 'close'] as const) {
    test(`raw TCP: a 32 MiB upload (${framing}, connection: ${connection}) to /invoke is read to its end and answered 400, no reset`, async (t) => {
      const { local, calls } = await countingServer({}, t);
      const headers: HeaderList = [...INVOKE, ['Connection', connection]];
      const result = await rawUpload(local.port, { path: '/invoke', headers, total: 32 * MIB, chunked: framing === 'chunked' });
      assert.equal(result.error, undefined, `the client saw "${result.error?.message}" after sending ${result.sent} bytes; it had read: ${JSON.stringify(result.reply?.raw.slice(0, 60) ?? '')}`);
      assert.ok(result.reply, 'a response was read');
      assertRefused(result.reply, DEFAULT_BODY, framing === 'content-length' ? 32 * MIB : undefined);
      assert.equal(calls(), 0);
    });

    test(`raw TCP: a 32 MiB upload (${framing}, connection: ${connection}) to an HTTP function is read to its end and answered 400, no reset`, async (t) => {
      const { local } = await readingServer({}, false, t);
      const headers: HeaderList = [...HOST, ['Connection', connection]];
      const result = await rawUpload(local.port, { path: '/upload', headers, total: 32 * MIB, chunked: framing === 'chunked' });
      assert.equal(result.error, undefined, `the client saw "${result.error?.message}" after sending ${result.sent} bytes; it had read: ${JSON.stringify(result.reply?.raw.slice(0, 60) ?? '')}`);
      assert.ok(result.reply, 'a response was read');
      assertRefused(result.reply, DEFAULT_BODY, framing === 'content-length' ? 32 * MIB : undefined);
    });
  }
}
