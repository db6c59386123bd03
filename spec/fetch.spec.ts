import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Context } from '../lib/index.js';
import { fcHeaders, send } from './helpers/http-client.js';
import { startServer } from './helpers/local-server.js';
import { FIXTURES, ROOT } from './helpers/paths.js';
import { sendRaw } from './helpers/raw-client.js';

const encoder = new TextEncoder();

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => { resolve = done; });
  return { promise, resolve };
}

/** Resolves with `promise`, or rejects after `ms` naming what did not happen. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

/** Opens a request and resolves to the response as soon as its headers arrive. */
function openResponse(port: number, path = '/', method = 'GET'): { response: Promise<IncomingMessage>; destroy(): void } {
  const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  req.end();
  return { response, destroy: () => req.destroy() };
}

/** Reads a response to its end: 'end' for a complete one, else how it broke. */
function readOutcome(res: IncomingMessage, received: Buffer[] = []): Promise<{ outcome: string; text: string }> {
  return new Promise((resolve) => {
    const text = (): string => Buffer.concat(received).toString();
    res.on('data', (chunk: Buffer) => received.push(chunk));
    res.on('end', () => resolve({ outcome: res.complete ? 'end' : 'incomplete end', text: text() }));
    res.on('error', (error: NodeJS.ErrnoException) => resolve({ outcome: `error ${error.code ?? error.message}`, text: text() }));
    res.on('close', () => setImmediate(() => resolve({ outcome: res.complete ? 'end' : 'closed incomplete', text: text() })));
  });
}

test('GET: the Request carries the absolute URL, query, method and headers; a JSON Response comes back whole', async (t) => {
  const seen: Record<string, unknown>[] = [];
  const local = await startServer({
    fetch: (request, context) => {
      const url = new URL(request.url);
      seen.push({
        url: request.url,
        method: request.method,
        multi: request.headers.get('x-multi'),
        cookie: request.headers.get('cookie'),
        body: request.body,
        hiddenConnection: request.headers.has('connection'),
        aborted: request.signal.aborted,
      });
      return Response.json({ path: url.pathname, q: url.searchParams.getAll('q'), requestId: context.requestId });
    },
  });
  t.after(() => local.close());

  const reply = await send(local.port, {
    path: '/items/7?q=a&q=b',
    headers: { 'x-multi': ['one', 'two'], cookie: ['a=1', 'b=2'], 'x-fc-request-id': 'req-get' },
  });
  assert.equal(reply.status, 200);
  assert.match(String(reply.headers['content-type']), /^application\/json/);
  // A body known at once goes out with a content-length, not chunked.
  assert.equal(reply.headers['content-length'], String(reply.body.length));
  assert.equal(reply.headers['transfer-encoding'], undefined);
  assert.deepEqual(reply.json(), { path: '/items/7', q: ['a', 'b'], requestId: 'req-get' });
  assert.deepEqual(seen[0], {
    url: `http://127.0.0.1:${local.port}/items/7?q=a&q=b`,
    method: 'GET',
    multi: 'one, two',
    cookie: 'a=1; b=2',
    body: null,
    hiddenConnection: false,
    aborted: false,
  });

  // x-forwarded-proto decides the scheme.
  await send(local.port, { path: '/s', headers: { 'x-forwarded-proto': 'https' } });
  assert.equal(seen[1]!.url, `https://127.0.0.1:${local.port}/s`);
  // No Host header (HTTP/1.0): localhost.
  const raw = await sendRaw(local.port, 'GET /nohost HTTP/1.0\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 200/);
  assert.equal(seen[2]!.url, 'http://localhost/nohost');
});

test('a Host header that would change the URL is refused with 400, the handler not called', async (t) => {
  let calls = 0;
  const local = await startServer({ fetch: () => { calls++; return new Response('x'); } });
  t.after(() => local.close());
  const raw = await sendRaw(local.port, 'GET /api HTTP/1.1\r\nHost: evil.example/admin?\r\nConnection: close\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 400/);
  assert.match(raw, /"ErrorCode":"InvalidArgument"/);
  assert.match(raw, /Invalid Host header/);
  // A target that is not a path, and a method a Request cannot carry, are refused the same way.
  const star = await sendRaw(local.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(star, /^HTTP\/1\.1 400[\s\S]*"ErrorCode":"InvalidArgument"/);
  const trace = await sendRaw(local.port, 'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(trace, /^HTTP\/1\.1 400[\s\S]*TRACE/);
  assert.equal(calls, 0);
});

test('an absolute-form target gives the Request its own URL', async (t) => {
  const local = await startServer({ fetch: (request) => new Response(request.url) });
  t.after(() => local.close());
  const raw = await sendRaw(local.port, 'GET http://other.example/abs?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(raw, /\r\n\r\nhttp:\/\/other\.example\/abs\?x=1$/);
});

test('POST: the request body streams to the handler and its echo streams back before the upload ends', { timeout: 10_000 }, async (t) => {
  const local = await startServer({
    fetch: (request) => new Response(request.body, { headers: { 'content-type': 'application/octet-stream' } }),
  });
  t.after(() => local.close());

  // No content-length: a chunked upload. The second half is sent only once the first half has
  // come back, which can only happen if neither side buffers the whole body.
  const req = httpRequest({ host: '127.0.0.1', port: local.port, method: 'POST', path: '/echo', agent: false });
  req.write('first half;');
  const [res] = await within(once(req, 'response'), 5000, 'response headers') as [IncomingMessage];
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  const [firstChunk] = await within(once(res, 'data'), 5000, 'first echoed chunk') as [Buffer];
  assert.equal(firstChunk.toString(), 'first half;');
  const rest = readOutcome(res, [firstChunk]);
  req.end('second half');
  assert.deepEqual(await rest, { outcome: 'end', text: 'first half;second half' });

  // A body with a content-length, read whole by the handler.
  const json = await startServer({
    fetch: async (request) => Response.json({ got: await request.json(), type: request.headers.get('content-type') }),
  });
  t.after(() => json.close());
  const reply = await send(json.port, { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
  assert.deepEqual(reply.json(), { got: { a: [1, 2] }, type: 'application/json' });
});

test('several set-cookie headers arrive as separate headers', async (t) => {
  const local = await startServer({
    fetch: () => {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'session=abc; Path=/; HttpOnly');
      headers.append('set-cookie', 'theme=dark, blue; Path=/');
      headers.append('x-list', 'a');
      headers.append('x-list', 'b');
      return new Response('ok', { headers });
    },
  });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.deepEqual(reply.headers['set-cookie'], ['session=abc; Path=/; HttpOnly', 'theme=dark, blue; Path=/']);
  const cookieLines = reply.rawHeaders.filter((_, i) => i % 2 === 0 && reply.rawHeaders[i]!.toLowerCase() === 'set-cookie');
  assert.equal(cookieLines.length, 2);
  assert.equal(reply.headers['x-list'], 'a, b');
});

test('forbidden response headers from a Response are stripped; x-fc-status passes; status and statusText kept', async (t) => {
  const local = await startServer({
    fetch: () => new Response('created', {
      status: 201,
      statusText: 'Made It',
      headers: { server: 'my-server', 'x-fc-foo': '1', 'x-fc-status': '200', 'x-powered-by': 'hono', 'content-length': '7', upgrade: 'h2c' },
    }),
  });
  t.after(() => local.close());
  const raw = await sendRaw(local.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 201 Made It\r\n/);
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
  assert.doesNotMatch(head, /\r\nserver:/);
  assert.doesNotMatch(head, /\r\nx-fc-foo:/);
  assert.doesNotMatch(head, /\r\nupgrade:/);
  assert.match(head, /\r\nx-fc-status: 200/);
  assert.match(head, /\r\nx-powered-by: hono/);
  // The server frames the body itself: one content-length, its own.
  assert.equal(head.match(/content-length/g)?.length, 1);
  assert.match(head, /\r\ncontent-length: 7/);
  assert.ok(raw.endsWith('\r\n\r\ncreated'));
});

test('a throw or a rejection in the fetch handler: 500 JSON {errorMessage, errorType}, x-fc-status 404, no stack', async (t) => {
  const local = await startServer({
    fetch: async (request) => {
      if (request.url.endsWith('/sync')) throw new RangeError('bad range');
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('async boom');
    },
  });
  t.after(() => local.close());
  const sync = await send(local.port, { path: '/sync' });
  assert.equal(sync.status, 500);
  assert.equal(sync.headers['x-fc-status'], '404');
  assert.deepEqual(sync.json(), { errorMessage: 'bad range', errorType: 'RangeError' });
  const rejected = await send(local.port, { path: '/async' });
  assert.equal(rejected.status, 500);
  assert.deepEqual(rejected.json(), { errorMessage: 'async boom', errorType: 'Error' });
});

test('a non-Response return (or Response.error()) is a 500 naming what was returned', async (t) => {
  const returns: Record<string, unknown> = {
    '/object': { status: 200 },
    '/string': 'hello',
    '/undefined': undefined,
    '/error': Response.error(),
  };
  const local = await startServer({ fetch: (request) => returns[new URL(request.url).pathname] as Response });
  t.after(() => local.close());
  const object = await send(local.port, { path: '/object' });
  assert.equal(object.status, 500);
  assert.equal(object.headers['x-fc-status'], '404');
  assert.equal(object.json().errorType, 'TypeError');
  assert.match(object.json().errorMessage, /must return a Response.*got an object \(Object\)/);
  assert.match((await send(local.port, { path: '/string' })).json().errorMessage, /got a string/);
  assert.match((await send(local.port, { path: '/undefined' })).json().errorMessage, /got undefined/);
  const error = await send(local.port, { path: '/error' });
  assert.equal(error.status, 500);
  assert.match(error.json().errorMessage, /Response\.error\(\)/);
});

test('server-sent events: headers, then each event, reach the client while the stream is still open', { timeout: 10_000 }, async (t) => {
  const firstEvent = deferred();
  const secondEvent = deferred();
  let finished = false;
  const local = await startServer({
    fetch: () => {
      let step = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (step++ === 0) {
            await firstEvent.promise;
            controller.enqueue(encoder.encode('data: one\n\n'));
          } else {
            await secondEvent.promise;
            controller.enqueue(encoder.encode('data: two\n\n'));
            finished = true;
            controller.close();
          }
        },
      }, { highWaterMark: 0 });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
    },
  });
  t.after(() => local.close());

  const { response } = openResponse(local.port, '/events');
  // The headers arrive while the stream has produced nothing yet.
  const res = await within(response, 5000, 'headers before the first event');
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream');
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  firstEvent.resolve();
  // The first event arrives while the handler's stream is still open (it waits on us).
  const [chunk] = await within(once(res, 'data'), 5000, 'the first event') as [Buffer];
  assert.equal(chunk.toString(), 'data: one\n\n');
  assert.equal(finished, false);
  const rest = readOutcome(res, [chunk]);
  secondEvent.resolve();
  assert.deepEqual(await rest, { outcome: 'end', text: 'data: one\n\ndata: two\n\n' });
  assert.equal(finished, true);
});

test('a client that goes away aborts request.signal; mid-stream it also cancels the response body', { timeout: 10_000 }, async (t) => {
  const started = deferred();
  const aborted = deferred<unknown>();
  const cancelled = deferred<unknown>();
  const copies: AbortSignal[] = [];
  const local = await startServer({
    fetch: async (request) => {
      request.signal.addEventListener('abort', () => aborted.resolve(request.signal.reason));
      if (request.url.endsWith('/check')) return new Response('still serving');
      if (request.url.endsWith('/wait')) {
        // What a proxy forwards (fetch(request), new Request(request)) follows the same signal.
        copies.push(new Request(request).signal, request.clone().signal);
        started.resolve();
        await aborted.promise;
        return new Response('too late');
      }
      return new Response(new ReadableStream<Uint8Array>({
        start(controller) { controller.enqueue(encoder.encode('tick\n')); },
        pull() { return new Promise(() => {}); }, // never produces again
        cancel(reason) { cancelled.resolve(reason); },
      }));
    },
  });
  t.after(() => local.close());

  // Gone before the response: the handler's signal aborts.
  const waiting = openResponse(local.port, '/wait');
  waiting.response.catch(() => {});
  await within(started.promise, 5000, 'the handler to start');
  waiting.destroy();
  const reason = await within(aborted.promise, 5000, 'request.signal to abort') as DOMException;
  assert.equal(reason.name, 'AbortError');
  assert.deepEqual(copies.map((signal) => signal.aborted), [true, true]);

  // Gone mid-stream: the body's reader is cancelled.
  const streaming = openResponse(local.port, '/stream');
  const res = await within(streaming.response, 5000, 'stream headers');
  await within(once(res, 'data'), 5000, 'first chunk');
  res.destroy();
  const cancelReason = await within(cancelled.promise, 5000, 'the body stream to be cancelled') as DOMException;
  assert.equal(cancelReason.name, 'AbortError');
  // The server goes on serving.
  assert.equal((await send(local.port, { path: '/check' })).text, 'still serving');
});

test('a response body that errors half way: the client sees a broken response, not a clean end', { timeout: 10_000 }, async (t) => {
  const local = await startServer({
    fetch: (request) => {
      const early = request.url.endsWith('/early');
      if (request.url.endsWith('/string-chunk')) {
        return new Response(new ReadableStream({ start(controller) { controller.enqueue('text'); controller.close(); } }));
      }
      return new Response(new ReadableStream<Uint8Array>({
        start(controller) {
          if (early) {
            controller.error(new Error('failed before any byte'));
            return;
          }
          controller.enqueue(encoder.encode('partial data...'));
          setTimeout(() => controller.error(new Error('source failed')), 30);
        },
      }));
    },
  });
  t.after(() => local.close());

  const { response } = openResponse(local.port, '/late');
  const res = await within(response, 5000, 'headers');
  assert.equal(res.statusCode, 200);
  const { outcome, text } = await within(readOutcome(res), 5000, 'the response to break');
  assert.notEqual(outcome, 'end');
  assert.equal(text, 'partial data...');

  // A chunk that is not bytes is the handler's error too.
  const strings = await send(local.port, { path: '/string-chunk' });
  assert.equal(strings.status, 500);
  assert.deepEqual(strings.json(), { errorMessage: 'A Response body chunk must be a Uint8Array, got a string', errorType: 'TypeError' });

  // Failing before anything was sent: the runtime's 500 JSON.
  const early = await send(local.port, { path: '/early' });
  assert.equal(early.status, 500);
  assert.equal(early.headers['x-fc-status'], '404');
  assert.deepEqual(early.json(), { errorMessage: 'failed before any byte', errorType: 'Error' });
});

test('a chunked upload over the body limit: 400 InvalidArgument, and the handler reading it sees the LimitError', { timeout: 10_000 }, async (t) => {
  const readError = deferred<Error>();
  const reading = deferred();
  const local = await startServer({
    fetch: async (request) => {
      reading.resolve();
      try {
        await request.arrayBuffer();
      } catch (error) {
        readError.resolve(error as Error);
        throw error;
      }
      return new Response('read it all');
    },
  }, { limits: { body: 1000 } });
  t.after(() => local.close());

  const req = httpRequest({ host: '127.0.0.1', port: local.port, method: 'POST', path: '/upload', agent: false });
  const responded = once(req, 'response') as Promise<[IncomingMessage]>;
  // The rest goes once the handler is reading, so the limit is passed while it reads.
  req.write(Buffer.alloc(500, 0x61));
  await within(reading.promise, 5000, 'the handler to start');
  for (let i = 0; i < 5; i++) req.write(Buffer.alloc(500, 0x61));
  req.end();
  const [res] = await within(responded, 5000, 'the 400');
  const { outcome, text } = await readOutcome(res);
  assert.equal(res.statusCode, 400);
  assert.equal(outcome, 'end');
  assert.equal(JSON.parse(text).ErrorCode, 'InvalidArgument');
  const error = await within(readError.promise, 5000, 'the handler to see the error');
  assert.equal(error.name, 'LimitError');

  // Under the limit, the same handler reads the whole chunked body.
  const small = httpRequest({ host: '127.0.0.1', port: local.port, method: 'POST', path: '/upload', agent: false });
  small.write('x'.repeat(400));
  small.end('y'.repeat(400));
  const [ok] = await once(small, 'response') as [IncomingMessage];
  assert.deepEqual(await readOutcome(ok), { outcome: 'end', text: 'read it all' });
});

test('HEAD sends no body; a null body sends content-length 0 (none at all for a 204)', async (t) => {
  const local = await startServer({
    fetch: (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === '/empty') return new Response(null);
      if (pathname === '/none') return new Response(null, { status: 204 });
      return new Response('some body', { headers: { 'x-a': '1' } });
    },
  });
  t.after(() => local.close());
  const head = await send(local.port, { method: 'HEAD', path: '/' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['x-a'], '1');
  assert.equal(head.body.length, 0);
  const empty = await send(local.port, { path: '/empty' });
  assert.equal(empty.status, 200);
  assert.equal(empty.headers['content-length'], '0');
  assert.equal(empty.body.length, 0);
  const none = await send(local.port, { path: '/none' });
  assert.equal(none.status, 204);
  assert.equal(none.headers['content-length'], undefined);
  assert.equal(none.body.length, 0);
  const raw = await sendRaw(local.port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  // Keep-alive goes on after a HEAD: the second response follows, with its body.
  assert.match(raw, /^HTTP\/1\.1 200[\s\S]*\r\n\r\nHTTP\/1\.1 200[\s\S]*\r\n\r\nsome body$/);
});

test('response headers over the limit: the runtime\'s 502, for a buffered and for a streamed body', { timeout: 10_000 }, async (t) => {
  const cancelled = deferred();
  const local = await startServer({
    fetch: (request) => {
      const headers = { 'x-big': 'v'.repeat(200) };
      if (request.url.endsWith('/buffered')) return new Response('body', { headers });
      return new Response(new ReadableStream<Uint8Array>({
        pull() { return new Promise(() => {}); },
        cancel() { cancelled.resolve(); },
      }), { headers });
    },
  }, { limits: { responseHeaders: 100 } });
  t.after(() => local.close());
  const buffered = await send(local.port, { path: '/buffered' });
  assert.equal(buffered.status, 502);
  assert.equal(buffered.json().ErrorCode, 'BadResponse');
  const streamed = await within(send(local.port, { path: '/streamed' }), 5000, 'the 502');
  assert.equal(streamed.status, 502);
  assert.equal(streamed.json().ErrorCode, 'BadResponse');
  await within(cancelled.promise, 5000, 'the dropped body to be cancelled');
});

test('a request body the handler never reads, or reads in part, does not hold up the keep-alive connection', { timeout: 10_000 }, async (t) => {
  const local = await startServer({
    fetch: async (request) => {
      const { pathname } = new URL(request.url);
      if (pathname === '/partly') {
        const { value } = await request.body!.getReader().read();
        return new Response(`read ${value!.byteLength > 0}`);
      }
      return new Response(`${request.method} ${pathname}`);
    },
  });
  t.after(() => local.close());
  const body = 'z'.repeat(300_000);
  const raw = await sendRaw(local.port, [
    `POST /ignored HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, body,
    `POST /partly HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, body,
    'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  ], 3000);
  assert.match(raw, /\r\n\r\nPOST \/ignored/);
  assert.match(raw, /\r\n\r\nread true/);
  assert.match(raw, /\r\n\r\nGET \/last$/);
});

test('chunks a body yields at once go out as one response with a content-length', async (t) => {
  const local = await startServer({
    fetch: () => new Response(new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of ['one,', 'two,', 'three']) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    })),
  });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.equal(reply.text, 'one,two,three');
  assert.equal(reply.headers['content-length'], '13');
});

test('a slow client holds back a fast response body (backpressure on the response)', { timeout: 20_000 }, async (t) => {
  const chunk = new Uint8Array(64 * 1024).fill(0x62);
  const total = 64 * 1024 * 1024;
  let produced = 0;
  const local = await startServer({
    fetch: () => new Response(new ReadableStream<Uint8Array>({
      // Produces as fast as it is asked, without ever waiting itself.
      pull(controller) {
        if (produced >= total) {
          controller.close();
          return;
        }
        produced += chunk.length;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 })),
  });
  t.after(() => local.close());

  const { response } = openResponse(local.port, '/fast');
  const res = await within(response, 5000, 'headers');
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  res.pause();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const producedWhilePaused = produced;
  // The socket buffers hold a few MiB at most; the rest waited for 'drain'.
  assert.ok(producedWhilePaused < total / 4, `${producedWhilePaused} bytes produced while the client read nothing`);
  let received = 0;
  res.on('data', (data: Buffer) => { received += data.length; });
  res.resume();
  await within(once(res, 'end'), 15_000, 'the whole body');
  assert.equal(received, total);
  t.diagnostic(`produced ${(producedWhilePaused / 2 ** 20).toFixed(1)} MiB of 64 MiB while the client was paused`);
});

test('a client that goes away mid-upload of a streamed echo: the signal aborts and the server goes on', { timeout: 10_000 }, async (t) => {
  const aborted = deferred<unknown>();
  const local = await startServer({
    fetch: (request) => {
      request.signal.addEventListener('abort', () => aborted.resolve(request.signal.reason));
      return new Response(request.url.endsWith('/echo') ? request.body : 'fine');
    },
  });
  t.after(() => local.close());
  const req = httpRequest({ host: '127.0.0.1', port: local.port, method: 'POST', path: '/echo', agent: false });
  req.on('error', () => {});
  req.write('part one;');
  const [res] = await within(once(req, 'response'), 5000, 'response headers') as [IncomingMessage];
  await within(once(res, 'data'), 5000, 'the echo of part one');
  req.destroy();
  const reason = await within(aborted.promise, 5000, 'request.signal to abort') as DOMException;
  assert.equal(reason.name, 'AbortError');
  assert.equal((await send(local.port, { path: '/next' })).text, 'fine');
});

test('a Response from another fetch implementation (the undici package) is sent too', async (t) => {
  const { Response: UndiciResponse } = await import('undici');
  const local = await startServer({
    fetch: () => {
      const response = new UndiciResponse('from undici', { status: 202, headers: [['x-impl', 'undici'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']] });
      assert.equal(response instanceof Response, false);
      return response as unknown as Response;
    },
  });
  t.after(() => local.close());
  const reply = await send(local.port);
  assert.equal(reply.status, 202);
  assert.equal(reply.text, 'from undici');
  assert.equal(reply.headers['x-impl'], 'undici');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
});

test('a Hono app as the fetch handler: routes, JSON body, cookies, with and without the default-domain base path', async (t) => {
  const app = new Hono<{ Bindings: Context }>();
  app.get('/api/hello/:name', (c) => c.json({ hello: c.req.param('name'), q: c.req.query('q'), requestId: c.env.requestId }));
  app.post('/api/items', async (c) => {
    const item = await c.req.json<{ name: string }>();
    return c.json({ created: item.name, session: getCookie(c, 'session') ?? null }, 201);
  });
  app.get('/api/login', (c) => {
    setCookie(c, 'session', 's3cr3t', { path: '/', httpOnly: true });
    setCookie(c, 'theme', 'dark', { path: '/' });
    return c.text('logged in');
  });
  app.notFound((c) => c.json({ notFound: c.req.path }, 404));
  const local = await startServer({ fetch: app.fetch });
  t.after(() => local.close());

  const base = '/2016-08-15/proxy/svc/fn';
  const viaDefaultDomain = (path: string, extra: Record<string, string> = {}): Record<string, string> =>
    fcHeaders({ 'x-fc-control-path': '/http-invoke', 'x-fc-base-path': `${base}/`, 'x-fc-request-id': `req${path.replace(/\W/g, '-')}`, ...extra });

  for (const [label, prefix, headers] of [
    ['default domain', base, viaDefaultDomain],
    ['custom domain', '', (_path: string, extra: Record<string, string> = {}) => ({ 'x-fc-request-id': 'req-custom', ...extra })],
  ] as const) {
    const hello = await send(local.port, { path: `${prefix}/api/hello/world?q=1`, headers: headers('/hello') });
    assert.equal(hello.status, 200, label);
    assert.deepEqual(hello.json(), { hello: 'world', q: '1', requestId: prefix ? 'req-hello' : 'req-custom' }, label);

    const login = await send(local.port, { path: `${prefix}/api/login`, headers: headers('/login') });
    assert.equal(login.text, 'logged in', label);
    assert.deepEqual(login.headers['set-cookie'], ['session=s3cr3t; Path=/; HttpOnly', 'theme=dark; Path=/'], label);

    const created = await send(local.port, {
      method: 'POST',
      path: `${prefix}/api/items`,
      headers: headers('/items', { 'content-type': 'application/json', cookie: 'session=s3cr3t; theme=dark' }),
      body: JSON.stringify({ name: 'widget' }),
    });
    assert.equal(created.status, 201, label);
    assert.deepEqual(created.json(), { created: 'widget', session: 's3cr3t' }, label);

    const missing = await send(local.port, { path: `${prefix}/nope`, headers: headers('/nope') });
    assert.equal(missing.status, 404, label);
    assert.deepEqual(missing.json(), { notFound: '/nope' }, label);
  }
  // The bare base path is the app's root.
  const root = await send(local.port, { path: base, headers: viaDefaultDomain('/root') });
  assert.deepEqual(root.json(), { notFound: '/' });
});

/** Peak RSS growth of an echo server process while `total` bytes go up and come back at once. */
async function measureEcho(mode: 'fetch' | 'http', total: number): Promise<{ growth: number; before: number; ms: number; how: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'fetch-echo.mjs')], {
    cwd: ROOT,
    env: { ...process.env, ECHO_MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    child.stdout!.setEncoding('utf8');
    const port = await within(new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        const match = /listening on [\d.]+:(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.on('exit', (code) => reject(new Error(`echo server exited (${code})`)));
    }), 15_000, 'the echo server to listen');
    const status = (): Record<string, number> => {
      const fields: Record<string, number> = {};
      for (const line of readFileSync(`/proc/${child.pid}/status`, 'utf8').split('\n')) {
        const match = /^(VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
        if (match) fields[match[1]!] = Number(match[2]) * 1024;
      }
      return fields;
    };

    // Warm up: load the adapter, Request/Response and the streams, so the baseline includes them.
    for (let i = 0; i < 3; i++) {
      const warm = await send(port, { method: 'POST', path: '/warm', body: Buffer.alloc(2 * 1024 * 1024, 1) });
      assert.equal(warm.body.length, 2 * 1024 * 1024);
    }
    let peakIsReset = true;
    try {
      writeFileSync(`/proc/${child.pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
    } catch {
      peakIsReset = false;
    }
    const before = status().VmRSS!;
    let sampledPeak = before;
    const sampler = setInterval(() => { sampledPeak = Math.max(sampledPeak, status().VmRSS!); }, 10);

    const template = Buffer.alloc(64 * 1024);
    for (let i = 0; i < template.length; i++) template[i] = (i * 31 + 7) & 0xff;
    const sentHash = createHash('sha256');
    const receivedHash = createHash('sha256');
    let received = 0;
    const started = Date.now();
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent: false, headers: { 'content-type': 'application/octet-stream' } });
    const done = new Promise<void>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        res.on('data', (data: Buffer) => { received += data.length; receivedHash.update(data); });
        res.on('end', resolve);
        res.on('error', reject);
      });
    });
    let sent = 0;
    while (sent < total) {
      // A fresh buffer each time (a queued write keeps its buffer), numbered so a reordering shows.
      const piece = Buffer.from(template);
      piece.writeUInt32BE(sent / template.length, 0);
      sentHash.update(piece);
      sent += piece.length;
      if (!req.write(piece)) await once(req, 'drain');
    }
    req.end();
    try {
      await within(done, 50_000, 'the echo to finish');
    } finally {
      clearInterval(sampler);
    }
    const ms = Date.now() - started;
    assert.equal(received, total);
    assert.equal(receivedHash.digest('hex'), sentHash.digest('hex'));
    const peak = peakIsReset ? Math.max(status().VmHWM!, sampledPeak) : sampledPeak;
    return { growth: peak - before, before, ms, how: peakIsReset ? 'VmHWM' : 'sampled VmRSS' };
  } finally {
    child.kill();
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

test('50 MiB up and down through a fetch echo at once: the server\'s memory stays flat (backpressure both ways)', { timeout: 90_000 }, async (t) => {
  if (process.platform !== 'linux') {
    t.skip('reads /proc/<pid>/status');
    return;
  }
  const total = 50 * 1024 * 1024;
  const fetchEcho = await measureEcho('fetch', total);
  // Node's own req.pipe(res) for scale: what is left is garbage the GC has not collected yet
  // (each socket read is a fresh 64 KiB buffer), not bytes held by a queue.
  const pipeEcho = await measureEcho('http', total);
  t.diagnostic(`fetch echo: 50 MiB in ${fetchEcho.ms} ms, RSS ${mib(fetchEcho.before)} MiB before, peak growth ${mib(fetchEcho.growth)} MiB (${fetchEcho.how})`);
  t.diagnostic(`req.pipe(res) echo: 50 MiB in ${pipeEcho.ms} ms, peak growth ${mib(pipeEcho.growth)} MiB`);
  assert.ok(fetchEcho.growth < 40 * 1024 * 1024, `server RSS grew by ${mib(fetchEcho.growth)} MiB while 50 MiB streamed through`);
});
