// The bench's own HTTP client: correctness checks, big uploads, and the fast readiness poll used
// for cold starts (a raw TCP connect every few ms, then POST /initialize or POST /invoke).
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request, the response read whole. `ttfb` is ms from the call to the response headers. */
export function httpRequest({ port, method = 'GET', path = '/', headers = {}, body, agent = false, timeoutMs = 30_000, discardBody = false }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const ttfb = performance.now() - started;
      const chunks = [];
      let size = 0;
      res.on('data', (chunk) => {
        size += chunk.length;
        if (!discardBody) chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), size, ttfb, total: performance.now() - started, req, res });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => { clearTimeout(timer); reject(error); });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export function keepAliveAgent() {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

/** A whole HTTP/1.1 request on a connection of its own (the server closes it after answering). */
function rawPost(path, headers, body = '') {
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', ...headers, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

const INITIALIZE = rawPost('/initialize', []);
/**
 * A small JSON event, as FC would send it: the README's handler parses it (`{ name }`), the bare
 * node:http server echoes it, so both answer 200.
 */
const INVOKE = rawPost('/invoke', ['content-type: application/octet-stream', 'x-fc-request-id: bench-cold-start'], '{"name":"bench"}');

/**
 * One attempt: connect and send `raw` (one request). Resolves to the status code, or to 0 when
 * the port refuses the connection or the connection drops before a status line.
 */
function tryRequest(port, raw) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let head = '';
    let done = false;
    const finish = (status) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(status);
    };
    socket.on('connect', () => socket.write(raw));
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      head += chunk;
      const eol = head.indexOf('\r\n');
      if (eol !== -1) finish(Number(head.slice(9, 12)) || 0);
    });
    socket.on('error', () => finish(0));
    socket.on('close', () => finish(0));
  });
}

/**
 * Polls until `raw` (a request to `label`) answers 200, a connect attempt every `everyMs`.
 * Returns the time of that response (performance.now()), or throws after `timeoutMs` or when
 * `isDead()` says the process has gone.
 */
async function pollUntil200(port, raw, label, { everyMs = 2, timeoutMs = 15_000, isDead = () => false } = {}) {
  const deadline = performance.now() + timeoutMs;
  let lastStatus = 0;
  for (;;) {
    lastStatus = await tryRequest(port, raw);
    if (lastStatus === 200) return performance.now();
    if (isDead()) throw new Error(`server exited before answering ${label}`);
    if (performance.now() > deadline) throw new Error(`${label} never answered 200 (last status ${lastStatus || 'none'})`);
    if (lastStatus === 0) await sleep(everyMs);
    else await sleep(20); // listening but not 200: do not hammer it
  }
}

/** Polls until POST /initialize answers 200 (see pollUntil200): the cold-start section's end. */
export function pollInitialize(port, options) {
  return pollUntil200(port, INITIALIZE, 'POST /initialize', options);
}

const GET = ['GET /api/hello?name=fc HTTP/1.1', 'host: 127.0.0.1', 'connection: close'].join('\r\n') + '\r\n\r\n';

/**
 * Polls until GET /api/hello?name=fc answers 200: the cold-start section's end for the variants
 * whose `coldPath` is `'get'` (an HTTP function's first request, through the Fetch adapter).
 */
export function pollGet(port, options) {
  return pollUntil200(port, GET, 'GET /api/hello', options);
}

/**
 * Polls until POST /invoke with a small JSON event answers 200: the image section's end, the
 * first invocation a function without an Initializer gets.
 */
export function pollInvoke(port, options) {
  return pollUntil200(port, INVOKE, 'POST /invoke', options);
}

/**
 * Checks that a server does what every variant must: POST /initialize 200, POST /invoke echoes a
 * binary body with x-fc-status 200 as octet-stream, GET /api/hello?name=fc answers {"hello":"fc"}.
 * Returns { initialize, invoke, get }, each null when fine or a message saying what is wrong.
 */
export async function checkContract(port) {
  const result = { initialize: null, invoke: null, get: null };
  const attempt = async (key, fn) => {
    try {
      const problem = await fn();
      if (problem) result[key] = problem;
    } catch (error) {
      result[key] = `${error.code ?? ''} ${error.message}`.trim();
    }
  };
  await attempt('initialize', async () => {
    const res = await httpRequest({ port, method: 'POST', path: '/initialize', timeoutMs: 5000 });
    return res.status === 200 ? null : `POST /initialize -> ${res.status} ${res.body.toString().slice(0, 200)}`;
  });
  await attempt('invoke', async () => {
    const event = randomBytes(1024);
    const res = await httpRequest({ port, method: 'POST', path: '/invoke', headers: { 'content-type': 'application/octet-stream' }, body: event, timeoutMs: 5000 });
    if (res.status !== 200) return `POST /invoke -> ${res.status} ${res.body.toString().slice(0, 200)}`;
    if (!res.body.equals(event)) return `POST /invoke did not echo the event (${res.body.length} bytes back)`;
    if (res.headers['x-fc-status'] !== '200') return `POST /invoke: x-fc-status is ${res.headers['x-fc-status']}`;
    if (!String(res.headers['content-type']).startsWith('application/octet-stream')) return `POST /invoke: content-type is ${res.headers['content-type']}`;
    return null;
  });
  await attempt('get', async () => {
    const res = await httpRequest({ port, method: 'GET', path: '/api/hello?name=fc', timeoutMs: 5000 });
    if (res.status !== 200) return `GET /api/hello -> ${res.status} ${res.body.toString().slice(0, 200)}`;
    let json;
    try { json = JSON.parse(res.body.toString()); } catch { return `GET /api/hello: not JSON: ${res.body.toString().slice(0, 100)}`; }
    return json?.hello === 'fc' ? null : `GET /api/hello answered ${res.body.toString().slice(0, 100)}`;
  });
  return result;
}
