/**
 * Memory over long runs, against `fc-container serve` in a child started with --expose-gc (markers
 * on, stdout drained and counted). The fixture's memory probe (an invoke) runs full collections
 * and reports heapUsed, VmRSS and open file descriptors.
 *
 * - 100,000 event invocations on keep-alive connections, ~50 in flight, measured at 10k and at
 *   100k: no leak (the heap after GC, once idle, has not grown past {@link HEAP_BOUND}; RSS and
 *   open fds flat), and nothing holds completed requests (measured the moment the load stops, the
 *   heap after GC is within the same bound of the idle figure).
 * - A Node-style HTTP function that never ends its response, and no x-fc-function-timeout (so no
 *   runtime timer will ever answer): when the clients disconnect nothing is kept, every Start
 *   marker still gets its End, and the server keeps serving. The same run against a fixture that
 *   does keep what it gets shows the bound catches such a leak.
 * - More than 10 requests in flight reading context.signal print no Node leak warning.
 *
 * The fuzz corpus's memory: spec/fuzz.spec.ts. Large bodies through a Fetch echo: spec/fetch.spec.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { CLI, FIXTURES, ROOT } from './helpers/paths.js';

const FIXTURE = join(FIXTURES, 'rel-memory.mjs');
const MEMORY_PROBE = '__rel_memory_probe__';
/** Heap after GC may grow at most this much between the two measurements. */
const HEAP_BOUND = 4 * 1024 * 1024;
/** Resident set size: allocator arenas and JIT code settle later than the heap; a looser bound. */
const RSS_BOUND = 32 * 1024 * 1024;
/** After the hung requests: the heap after GC may grow at most this much over the baseline. */
const HANG_HEAP_BOUND = 2 * 1024 * 1024;

const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

interface Memory { heapUsed: number; vmRss: number; fds: number; hangs: number }

/** The child: stdout is read line by line and only counted (100,000 requests print 200,000 markers). */
interface GcServer {
  child: ChildProcess;
  port: number;
  starts: number;
  ends: number;
  /** Per-id marker counts, for the ids a spec asks to track (by prefix). */
  tracked: Map<string, { start: number; end: number; startFirst: boolean }>;
  /** Resolves once the Start marker of `id` has been printed. */
  started(id: string): Promise<void>;
  /** stdout lines that are not markers (kept up to 50). */
  other: string[];
  stderr(): string;
}

async function spawnGcServer(env: Record<string, string> = {}, trackPrefix = '\0'): Promise<GcServer> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CLI, 'serve', FIXTURE, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let partial = '';
  const waiters = new Map<string, () => void>();
  const seenStarts = new Set<string>();
  let onListening: ((port: number) => void) | undefined;
  const server: GcServer = {
    child,
    port: 0,
    starts: 0,
    ends: 0,
    tracked: new Map(),
    other: [],
    stderr: () => err,
    started: (id) => (seenStarts.has(id) ? Promise.resolve() : new Promise((resolve) => { waiters.set(id, resolve); })),
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => { err += chunk; });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('FC Invoke Start RequestId: ')) {
        server.starts++;
        const id = line.slice(27);
        if (id.startsWith(trackPrefix)) {
          const entry = server.tracked.get(id) ?? { start: 0, end: 0, startFirst: true };
          entry.start++;
          server.tracked.set(id, entry);
          seenStarts.add(id);
          waiters.get(id)?.();
          waiters.delete(id);
        }
      } else if (line.startsWith('FC Invoke End RequestId: ')) {
        server.ends++;
        const id = line.slice(25);
        if (id.startsWith(trackPrefix)) {
          const entry = server.tracked.get(id) ?? { start: 0, end: 0, startFirst: false };
          entry.end++;
          server.tracked.set(id, entry);
        }
      } else if (/listening on [\d.]+:(\d+)/.test(line) && onListening) {
        onListening(Number(/listening on [\d.]+:(\d+)/.exec(line)![1]));
        onListening = undefined;
      } else if (server.other.length < 50) {
        server.other.push(line);
      }
    }
  });
  server.port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${err}`)), 15_000);
    onListening = (port) => { clearTimeout(timer); resolve(port); };
    child.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${err}`)));
  });
  return server;
}

function post(agent: Agent | false, port: number, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/invoke',
      agent,
      headers: { 'x-fc-control-path': '/invoke', 'content-length': String(Buffer.byteLength(body)), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function probe(port: number): Promise<Memory> {
  const reply = await post(false, port, MEMORY_PROBE);
  assert.equal(reply.status, 200, reply.text);
  return JSON.parse(reply.text) as Memory;
}

/** Sends invocations `from`..`to` (exclusive) with `inFlight` at a time; counts wrong echoes. */
async function invocations(agent: Agent, port: number, from: number, to: number, inFlight: number): Promise<number> {
  let next = from;
  let wrong = 0;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const body = `m${next++}`;
      const reply = await post(agent, port, body);
      if (reply.status !== 200 || reply.text !== body) wrong++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return wrong;
}

/** Lets the server go idle past one body-watch sweep (lib/body-timeout.ts, every second). */
const idle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1_500));

test('100,000 event invocations, keep-alive, ~50 in flight: no leak, and completed requests are not held', { timeout: 120_000 }, async (t) => {
  const server = await spawnGcServer();
  t.after(() => server.child.kill('SIGKILL'));
  const IN_FLIGHT = 50;
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  t.after(() => agent.destroy());
  const started = Date.now();
  let wrong = await invocations(agent, server.port, 0, 10_000, IN_FLIGHT);
  const busy10k = await probe(server.port);
  await idle();
  const idle10k = await probe(server.port);
  const firstLeg = (Date.now() - started) / 1000;
  const secondStart = Date.now();
  wrong += await invocations(agent, server.port, 10_000, 100_000, IN_FLIGHT);
  const seconds = firstLeg + (Date.now() - secondStart) / 1000;
  const busy100k = await probe(server.port);
  await idle();
  const idle100k = await probe(server.port);

  t.diagnostic(`100,000 invocations (${IN_FLIGHT} in flight, keep-alive, markers on) in ${seconds.toFixed(1)} s of load (${Math.round(100_000 / seconds)} req/s)`);
  t.diagnostic(`heap after GC the moment the load stops: ${MiB(busy10k.heapUsed)} at 10k, ${MiB(busy100k.heapUsed)} at 100k (growth ${MiB(busy100k.heapUsed - busy10k.heapUsed)})`);
  t.diagnostic(`heap after GC once idle for 1.5 s: ${MiB(idle10k.heapUsed)} at 10k, ${MiB(idle100k.heapUsed)} at 100k (growth ${MiB(idle100k.heapUsed - idle10k.heapUsed)}, bound ${MiB(HEAP_BOUND)})`);
  t.diagnostic(`VmRSS: ${MiB(busy10k.vmRss)} at 10k, ${MiB(busy100k.vmRss)} at 100k (growth ${MiB(busy100k.vmRss - busy10k.vmRss)}, bound ${MiB(RSS_BOUND)}); `
    + `${MiB(idle100k.vmRss)} idle; open fds ${busy10k.fds} -> ${busy100k.fds}`);

  await t.test('every response is its own event; every invocation has both markers; nothing else printed', async () => {
    assert.equal(wrong, 0);
    // Four probes and 100,000 invocations (the last markers may still be in the pipe).
    for (let i = 0; i < 100 && server.ends < 100_004; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(server.starts, 100_004);
    assert.equal(server.ends, 100_004);
    assert.deepEqual(server.other, []);
    assert.equal(server.stderr(), '');
  });

  await t.test(`no leak: the heap after GC at 100k is within ${MiB(HEAP_BOUND)} of the one at 10k; RSS and fds flat`, () => {
    const growth = idle100k.heapUsed - idle10k.heapUsed;
    assert.ok(growth < HEAP_BOUND, `heap grew ${MiB(growth)}`);
    assert.ok(busy100k.vmRss - busy10k.vmRss < RSS_BOUND, `RSS grew ${MiB(busy100k.vmRss - busy10k.vmRss)}`);
    assert.ok(idle100k.fds <= idle10k.fds + 5, `open fds ${idle10k.fds} -> ${idle100k.fds}`);
  });

  await t.test(`completed requests are released at once: measured the moment the load stops, the heap after GC is within ${MiB(HEAP_BOUND)} of idle`, () => {
    // A request whose response has been sent is garbage: nothing of the runtime's should keep it
    // (with its socket, headers and buffers) once it is over.
    for (const [busy, quiet, at] of [[busy10k, idle10k, '10k'], [busy100k, idle100k, '100k']] as const) {
      const held = busy.heapUsed - quiet.heapUsed;
      assert.ok(held < HEAP_BOUND, `at ${at}, ${MiB(held)} more heap survives full GCs right after the load than after 1.5 s idle`);
    }
  });
});

type Variant = 'write' | 'signal' | 'silent';
const VARIANTS: Variant[] = ['write', 'signal', 'silent'];

/**
 * One request to the never-ending HTTP function, without a timeout header; the client goes away
 * once the function has it: at the response headers (write, signal), or at its Start marker (silent).
 */
function hang(server: GcServer, variant: Variant, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: server.port,
      path: variant === 'silent' ? '/hang/silent' : `/hang/${variant}`,
      agent: false,
      headers: { 'x-fc-request-id': id, 'x-fc-control-path': '/http-invoke' },
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`${id} never reached the function`)); }, 10_000);
    const leave = (): void => {
      clearTimeout(timer);
      req.destroy();
      resolve();
    };
    req.on('error', () => {});
    if (variant === 'silent') void server.started(id).then(() => setImmediate(leave));
    else req.on('response', leave);
    req.end();
  });
}

async function hangMany(server: GcServer, prefix: string, count: number, inFlight = 50): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const variant = VARIANTS[n % VARIANTS.length]!;
      await hang(server, variant, `${prefix}-${variant}-${n}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Waits until every tracked request has its End marker (the client is gone, so End is due). */
async function allEnded(server: GcServer): Promise<string[]> {
  const open = (): string[] => [...server.tracked].filter(([, entry]) => entry.start !== 1 || entry.end !== 1 || !entry.startFirst).map(([id]) => id);
  for (let i = 0; i < 150 && open().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return open();
}

const HANGS = 1_800;

async function hangRun(env: Record<string, string>): Promise<{ server: GcServer; before: Memory; after: Memory }> {
  const server = await spawnGcServer(env, 'hang');
  await hangMany(server, 'hang-warm', 300);
  const before = await probe(server.port);
  await hangMany(server, 'hang', HANGS);
  const after = await probe(server.port);
  return { server, before, after };
}

test(`a Node-style HTTP function that never ends its response, no timeout header: ${HANGS} clients leave, nothing is kept, every End is printed, the server goes on`, { timeout: 60_000 }, async (t) => {
  const { server, before, after } = await hangRun({});
  t.after(() => server.child.kill('SIGKILL'));
  assert.equal(after.hangs, 300 + HANGS, 'every request reached the function');
  assert.deepEqual((await allEnded(server)).slice(0, 10), [], 'a Start without its End');
  assert.equal(server.tracked.size, 300 + HANGS);
  // Still serving.
  assert.deepEqual(await post(false, server.port, 'still here'), { status: 200, text: 'still here' });
  assert.deepEqual(server.other, []);
  assert.doesNotMatch(server.stderr(), /Error|Uncaught/);
  const growth = after.heapUsed - before.heapUsed;
  t.diagnostic(`${HANGS} never-ending HTTP responses (write / signal / silent), clients gone: heap after GC ${MiB(before.heapUsed)} -> ${MiB(after.heapUsed)} `
    + `(growth ${MiB(growth)}, bound ${MiB(HANG_HEAP_BOUND)}); open fds ${before.fds} -> ${after.fds}; ${server.tracked.size} Start/End pairs`);
  assert.ok(growth < HANG_HEAP_BOUND, `heap grew ${MiB(growth)}`);
  assert.ok(after.fds <= before.fds + 5, `open fds ${before.fds} -> ${after.fds}`);
});

test('the bound catches a leak: the same run, with a function that keeps every request and response, grows past it', { timeout: 60_000 }, async (t) => {
  const { server, before, after } = await hangRun({ REL_MEMORY_LEAK: '1' });
  t.after(() => server.child.kill('SIGKILL'));
  const growth = after.heapUsed - before.heapUsed;
  t.diagnostic(`sensitivity: keeping ${HANGS} requests and responses grows the heap after GC by ${MiB(growth)} (${Math.round(growth / HANGS)} bytes each)`);
  assert.ok(growth > HANG_HEAP_BOUND, `a leak of ${HANGS} requests grew the heap only ${MiB(growth)}`);
});

test('more than 10 requests in flight that read context.signal: no MaxListenersExceededWarning on stderr', { timeout: 30_000 }, async (t) => {
  // Each context.signal listens on the server's one shutdown signal until its response closes;
  // 11 at once is ordinary concurrency for FC, not a leak, and must not print Node's leak warning.
  const server = await spawnGcServer({}, 'sig');
  t.after(() => server.child.kill('SIGKILL'));
  const clients = Array.from({ length: 20 }, (_, n) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: '/hang/signal', agent: false,
      headers: { 'x-fc-request-id': `sig-${n}`, 'x-fc-control-path': '/http-invoke' } });
    req.on('error', () => {});
    const answered = new Promise<void>((resolve) => req.on('response', () => resolve()));
    req.end();
    return { req, answered };
  });
  await Promise.all(clients.map(({ answered }) => answered));
  for (const { req } of clients) req.destroy();
  assert.deepEqual(await allEnded(server), []);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(server.stderr(), '');
});
