/**
 * A generated corpus of mutated requests (seeded, reproducible) against `fc-container serve` in a
 * child process started with --expose-gc. Each mutation starts from a valid FC request (event,
 * chunked event, HTTP GET/POST, Initializer, hook, 100-continue, pipelined pair, HTTP/1.0) and
 * flips, truncates, duplicates, deletes, or inserts CR/LF/NUL/high bytes, or swaps in huge
 * content-lengths and chunk sizes, bad methods, versions and targets, oversize headers.
 *
 * Proven for the whole corpus: every byte the server sends back is a well-formed HTTP/1.1
 * response, none cut short; every error status is the runtime's JSON (a 400 is
 * `{"ErrorCode":"InvalidArgument"}`), apart from the few answers Node's http server gives itself,
 * each recognised from its request (see {@link nodeOwnAnswer}); no 5xx but the FunctionTimeout a
 * mutated x-fc-function-timeout asks for; no error line, no uncaught exception, nothing on stderr;
 * every Start marker has exactly one End; afterwards a good request is answered byte for byte, the
 * heap after GC has not grown past {@link HEAP_GROWTH_BOUND} and no file descriptor is left open.
 * The outcome counts are printed (t.diagnostic).
 *
 * FUZZ_SEED=<n> replays a run; FUZZ_COUNT=<n> changes the corpus size (default 10,000).
 * Hand-written malformed cases: spec/malformed.spec.ts, spec/client-error.spec.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CLI, FIXTURES, ROOT } from './helpers/paths.js';
import { exchangeAll, type Exchange, type RawResponse } from './helpers/raw-client.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed_fc01;
const CORPUS = process.env.FUZZ_COUNT ? Number(process.env.FUZZ_COUNT) : 10_000;
const WARM_UP = 1_000;
const CONCURRENCY = 50;
/** A socket that stays quiet this long after our last write (or the server's last byte) is given up. */
const IDLE_MS = 250;
/** No socket lives longer than this. */
const SOCKET_TIMEOUT_MS = 3_000;
/** Heap after GC may not grow more than this over the corpus (after a warm-up of its own). */
const HEAP_GROWTH_BOUND = 4 * 1024 * 1024;
/** Resident set size may not grow more than this (allocator pools, JIT code and socket buffers vary). */
const RSS_GROWTH_BOUND = 48 * 1024 * 1024;

const MEMORY_PROBE = '__rel_memory_probe__';
const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32).

class Random {
  #state: number;
  constructor(seed: number) { this.#state = seed >>> 0; }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
  bytes(n: number, printable = false): Buffer {
    const buf = Buffer.alloc(n);
    for (let i = 0; i < n; i++) buf[i] = printable ? 0x20 + this.int(95) : this.int(256);
    return buf;
  }
}

// ---------------------------------------------------------------------------------------------
// Valid requests, then mutations of them.

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function chunked(body: Buffer, rng: Random): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const size = Math.min(body.length - at, 1 + rng.int(64));
    parts.push(latin1(`${size.toString(16)}\r\n`), body.subarray(at, at + size), latin1('\r\n'));
    at += size;
  }
  parts.push(latin1('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const FC_COMMON = 'x-fc-access-key-id: STS.fuzzkey\r\nx-fc-access-key-secret: fuzz-secret-value-0001\r\n'
  + 'x-fc-security-token: fuzz-token-value-0001\r\nx-fc-function-name: fuzz\r\nx-fc-function-memory: 512\r\n'
  + 'x-fc-function-timeout: 30\r\nx-fc-region: cn-hangzhou\r\nx-fc-account-id: 123456\r\n';

type Template = (rng: Random, id: string) => Buffer;

const TEMPLATES: Template[] = [
  (rng, id) => {
    const body = rng.bytes(rng.int(200), rng.chance(0.5));
    return Buffer.concat([latin1(`POST /invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: ${id}\r\n`
      + `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  },
  (rng, id) => Buffer.concat([latin1(`POST /invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: ${id}\r\n`
    + 'Transfer-Encoding: chunked\r\n\r\n'), chunked(rng.bytes(1 + rng.int(300)), rng)]),
  (rng, id) => latin1(`GET /api/items/${rng.int(1000)}?q=${rng.bytes(8, true).toString('hex')}&page=2 HTTP/1.1\r\nHost: fuzz.example.com\r\n`
    + `x-fc-control-path: /http-invoke\r\nx-fc-request-id: ${id}\r\nAccept: application/json\r\nUser-Agent: fuzz/1.0\r\n`
    + 'Cookie: a=1; b=2\r\nAccept-Encoding: gzip\r\n\r\n'),
  (rng, id) => {
    const body = latin1(JSON.stringify({ name: rng.bytes(10, true).toString('latin1'), n: rng.int(1e6) }));
    return Buffer.concat([latin1(`POST /2016-08-15/proxy/svc/fn/api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-control-path: /http-invoke\r\n`
      + `x-fc-base-path: /2016-08-15/proxy/svc/fn/\r\nx-fc-request-id: ${id}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  },
  (rng, id) => Buffer.concat([latin1(`PUT /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-request-id: ${id}\r\nTransfer-Encoding: chunked\r\n\r\n`),
    chunked(rng.bytes(1 + rng.int(400)), rng)]),
  (_rng, id) => latin1(`POST /initialize HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-control-path: /initialize\r\nx-fc-request-id: ${id}\r\n${FC_COMMON}Content-Length: 0\r\n\r\n`),
  (rng, id) => latin1(`GET /${rng.pick(['pre-freeze', 'pre-stop'])} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-request-id: ${id}\r\n\r\n`),
  (rng, id) => {
    const body = rng.bytes(rng.int(100));
    return Buffer.concat([latin1(`POST /invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: ${id}\r\n`
      + `${FC_COMMON}Expect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  },
  (rng, id) => {
    const body = rng.bytes(rng.int(50), true);
    return Buffer.concat([latin1(`POST /invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-request-id: ${id}-a\r\nContent-Length: ${body.length}\r\n\r\n`), body,
      latin1(`GET /second HTTP/1.1\r\nHost: 127.0.0.1\r\nx-fc-request-id: ${id}-b\r\n\r\n`)]);
  },
  (_rng, id) => latin1(`GET /old HTTP/1.0\r\nConnection: keep-alive\r\nx-fc-request-id: ${id}\r\n\r\n`),
];

const INSERTS = ['\r', '\n', '\r\n', '\0', '\r\n\r\n', ' ', ':', '\t', '\x7f', '\x80', '\xff', '\xc3\xa9', ';', ',', '"'];
const HUGE_LENGTHS = ['99999999999999999999', '18446744073709551616', '18446744073709551615', '9007199254740993', '4294967296',
  '7340032', '6291457', '-1', '1e3', '0x10', ' 5', '5 ', '', '00000000000000000003', '1,2'];
const HUGE_CHUNKS = ['ffffffffffffffffffff', '10000000000000000', 'fffffff', '7fffffff', '-5', 'zz', '0', 'FFFFFFFFFFFF', '1;' + 'x'.repeat(300)];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PRI', 'FOO', 'get', 'G ET', '', 'POST POST', 'CONNECT'];
const VERSIONS = ['HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'HTTPS/1.1', 'HTTP/1.1 x', '', 'http/1.1', 'HTTP/11'];
const TARGETS = ['*', 'http://evil.example/x', '/a%00b', '/../../etc/passwd', '/#frag', '/?' + 'q'.repeat(5000), '/' + 'p'.repeat(4200), '//', '/invoke', '/initialize'];
const EXTRA_HEADERS = [
  'Transfer-Encoding: chunked', 'Content-Length: 5', 'Content-Length: 0', 'Transfer-Encoding: identity', 'Expect: 100-continue',
  'Connection: close', 'Connection: upgrade\r\nUpgrade: websocket', 'x-fc-control-path: /invoke', 'x-fc-control-path: /initialize',
  'x-fc-function-timeout: 0.05', 'x-fc-function-timeout: -1', 'x-fc-request-id: ', 'Host: a\r\nHost: b',
];

/** Applies one random mutation. */
function mutate(buf: Buffer, rng: Random): Buffer {
  const at = (): number => rng.int(buf.length + 1);
  switch (rng.int(14)) {
    case 0: { // flip a bit
      const out = Buffer.from(buf);
      if (out.length) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    }
    case 1: { // any byte
      const out = Buffer.from(buf);
      if (out.length) out[rng.int(out.length)] = rng.int(256);
      return out;
    }
    case 2: { // insert CR, LF, NUL, high bytes, separators
      const i = at();
      return Buffer.concat([buf.subarray(0, i), latin1(rng.pick(INSERTS)), buf.subarray(i)]);
    }
    case 3: // truncate
      return buf.subarray(0, rng.int(buf.length));
    case 4: { // delete a range
      const i = rng.int(buf.length);
      return Buffer.concat([buf.subarray(0, i), buf.subarray(i + 1 + rng.int(16))]);
    }
    case 5: { // duplicate a range somewhere
      const i = rng.int(buf.length);
      const slice = buf.subarray(i, i + 1 + rng.int(64));
      const j = at();
      return Buffer.concat([buf.subarray(0, j), slice, buf.subarray(j)]);
    }
    case 6: { // a huge or bogus content-length
      const text = buf.toString('latin1');
      return /content-length: [^\r\n]*/i.test(text)
        ? latin1(text.replace(/(content-length: )[^\r\n]*/i, `$1${rng.pick(HUGE_LENGTHS)}`))
        : latin1(text.replace('\r\n', `\r\nContent-Length: ${rng.pick(HUGE_LENGTHS)}\r\n`));
    }
    case 7: { // a huge or bogus chunk size
      const text = buf.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head === -1 || !/transfer-encoding/i.test(text)) return latin1(text.replace('\r\n', '\r\nTransfer-Encoding: chunked\r\n'));
      const rest = text.slice(head + 4).replace(/^[0-9a-f]+/i, rng.pick(HUGE_CHUNKS));
      return latin1(text.slice(0, head + 4) + rest);
    }
    case 8: { // another method
      const text = buf.toString('latin1');
      return latin1(text.replace(/^[^ ]*/, rng.pick(METHODS)));
    }
    case 9: { // another version
      const text = buf.toString('latin1');
      return latin1(text.replace(/HTTP\/1\.[01](?=\r\n)/, rng.pick(VERSIONS)));
    }
    case 10: { // another target
      const text = buf.toString('latin1');
      return latin1(text.replace(/^([^ ]* )[^ ]*/, `$1${rng.pick(TARGETS)}`));
    }
    case 11: { // an extra header line, or a long one (past FC's 4 KB limit, or past the parser's maximum)
      const text = buf.toString('latin1');
      const line = rng.chance(0.7) ? rng.pick(EXTRA_HEADERS) : `X-Long: ${'v'.repeat(rng.pick([3000, 4100, 9000, 17_000]))}`;
      return latin1(text.replace('\r\n', `\r\n${line}\r\n`));
    }
    case 12: { // duplicate, drop or swap header lines
      const text = buf.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head === -1) return buf;
      const lines = text.slice(0, head).split('\r\n');
      if (lines.length < 3) return buf;
      const i = 1 + rng.int(lines.length - 1);
      const j = 1 + rng.int(lines.length - 1);
      const op = rng.int(3);
      if (op === 0) lines.splice(i, 0, lines[i]!);
      else if (op === 1) lines.splice(i, 1);
      else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return latin1(lines.join('\r\n') + text.slice(head));
    }
    default: { // random bytes inserted
      const i = at();
      return Buffer.concat([buf.subarray(0, i), rng.bytes(1 + rng.int(8)), buf.subarray(i)]);
    }
  }
}

interface Case {
  wire: Buffer;
  /** Shut down our side after writing (the server reads EOF), else keep it open until idle. */
  halfClose: boolean;
}

function generate(seed: number, count: number, prefix: string): Case[] {
  const rng = new Random(seed);
  const cases: Case[] = [];
  for (let n = 0; n < count; n++) {
    let wire = rng.pick(TEMPLATES)(rng, `${prefix}-${n}`);
    const mutations = 1 + rng.int(3);
    for (let m = 0; m < mutations; m++) wire = mutate(wire, rng);
    cases.push({ wire, halfClose: rng.chance(0.3) });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Reading what the server sends back.

type Reply = RawResponse;

type Ending = Exchange['ending'];

interface Outcome {
  replies: Reply[];
  ending: Ending;
  leftover: number;
  received: number;
  parseError: string | undefined;
}

/** Sends one case on its own connection and reads every response (spec/helpers/raw-client.ts). */
async function sendCase(port: number, item: Case): Promise<Outcome> {
  const result = await exchangeAll(port, item.wire, { halfClose: item.halfClose, idleMs: IDLE_MS, timeoutMs: SOCKET_TIMEOUT_MS });
  return { replies: result.replies, ending: result.ending, leftover: result.trailing, received: result.raw.length, parseError: result.parseError };
}

/** The request's header block, as the parser would see it (up to the first blank line). */
function headerBlock(wire: Buffer): string {
  const text = wire.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return end === -1 ? text : text.slice(0, end);
}

/**
 * Answers Node's http server gives itself, outside the runtime and not as parser errors (so not
 * the runtime's JSON): a silent close for CONNECT (no 'connect' listener) and for a PRI request
 * Node does not take for the HTTP/2 preface (it treats it as an upgrade), and no answer at all
 * for a request with an Upgrade header whose body breaks (Node drops that parser error; the body
 * timeout answers 408 later, spec/malformed.spec.ts). Each is recognised from the
 * request that got it, so the same answer to any other request is still a problem.
 */
function nodeOwnAnswer(wire: Buffer, reply: Reply | undefined, ending: Ending): string | undefined {
  const text = wire.toString('latin1');
  const head = headerBlock(wire);
  if (reply === undefined) {
    if (ending !== 'end') return undefined;
    if (/^CONNECT /.test(head)) return 'closed, no reply (CONNECT: Node closes it)';
    if (/^PRI /.test(head)) return 'closed, no reply (PRI: Node takes it for an HTTP/2 upgrade)';
    if (/^[\r\n]*$/.test(text)) return 'closed, no reply (nothing was sent)';
    if (/\r\nupgrade:/i.test(head)) return 'closed, no reply (Upgrade header and a broken body: Node drops the parse error)';
  }
  return undefined;
}

/** What the corpus brought back, counted. */
class Tally {
  readonly outcomes = new Map<string, number>();
  readonly statuses = new Map<number, number>();
  readonly problems: string[] = [];
  replies = 0;
  cutShort = 0;

  add(item: Case, outcome: Outcome): void {
    const bump = <K>(map: Map<K, number>, key: K): void => { map.set(key, (map.get(key) ?? 0) + 1); };
    const request = JSON.stringify(item.wire.toString('latin1').slice(0, 200));
    if (outcome.parseError) {
      this.problems.push(`unparseable reply to ${request}: ${outcome.parseError}`);
      bump(this.outcomes, 'unparseable');
      return;
    }
    if (outcome.leftover > 0) this.cutShort++;
    const own = nodeOwnAnswer(item.wire, outcome.replies[0], outcome.ending);
    for (const reply of outcome.replies) {
      this.replies++;
      bump(this.statuses, reply.status);
      const problem = nodeOwnAnswer(item.wire, reply, outcome.ending) === undefined ? checkReply(reply) : undefined;
      if (problem) this.problems.push(`${problem} for ${request}`);
    }
    const first = outcome.replies[0];
    if (own !== undefined) {
      bump(this.outcomes, own);
    } else if (first === undefined) {
      if (outcome.ending === 'end') this.problems.push(`closed without a reply: ${request}`);
      bump(this.outcomes, outcome.ending === 'end' ? 'closed, no reply (other)'
        : outcome.ending === 'reset' ? 'reset, no reply' : 'no reply (incomplete request: the server waits; client gave up)');
    } else if (first.status === 400) {
      bump(this.outcomes, '400 InvalidArgument JSON');
    } else {
      bump(this.outcomes, `${first.status}${first.status === 408 || first.status === 417 ? ' InvalidArgument JSON' : ''}`);
    }
  }
}

/** The runtime's error bodies: the gateway shape, or the function-error shape. */
function checkReply(reply: Reply): string | undefined {
  if (reply.status < 400) return undefined;
  if (!/^application\/json/.test(reply.header('content-type') ?? '')) return `a ${reply.status} that is not JSON`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(reply.body.toString('utf8'));
  } catch {
    return `a ${reply.status} with a body that does not parse`;
  }
  if (reply.status === 400 || reply.status === 408 || reply.status === 417) {
    if (body.ErrorCode !== 'InvalidArgument' || typeof body.ErrorMessage !== 'string' || Object.keys(body).length !== 2) {
      return `a ${reply.status} without FC's InvalidArgument shape: ${reply.body.toString('utf8')}`;
    }
    return undefined;
  }
  if (typeof body.errorMessage !== 'string' || typeof body.errorType !== 'string') return `a ${reply.status} in no known shape`;
  // The fixture never fails: a function error can only be the timeout a mutated
  // x-fc-function-timeout asked for (404 for an event, 504 for an HTTP function).
  if (body.errorType !== 'FunctionTimeout' || (reply.status !== 404 && reply.status !== 504)) return `a ${reply.status} ${reply.body.toString('utf8')}`;
  return undefined;
}

async function runCorpus(port: number, cases: Case[], tally: Tally): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const item = cases[next++]!;
      tally.add(item, await sendCase(port, item));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

// ---------------------------------------------------------------------------------------------
// The server: `fc-container serve` under --expose-gc, stdout read line by line.

interface GcServer {
  child: ChildProcess;
  port: number;
  starts: Map<string, number>;
  ends: Map<string, number>;
  /** stdout lines that are neither markers nor the runtime's warn lines. */
  unexpected: string[];
  warnLines: number;
  /** FunctionTimeout error entries (a mutated x-fc-function-timeout met a request still waiting for its body). */
  timeoutLines: number;
  stderr(): string;
}

async function spawnGcServer(fixture: string): Promise<GcServer> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CLI, 'serve', fixture, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = {
    child,
    port: 0,
    starts: new Map<string, number>(),
    ends: new Map<string, number>(),
    unexpected: [] as string[],
    warnLines: 0,
    timeoutLines: 0,
    stderr: () => err,
  };
  let err = '';
  let partial = '';
  /** Inside a FunctionTimeout entry (a mutated x-fc-function-timeout): its stack lines are expected. */
  let inTimeoutEntry = false;
  let onListening: ((port: number) => void) | undefined;
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => { err += chunk; });
  child.stdout!.setEncoding('latin1');
  child.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const marker = /^FC (?:Invoke|Initialize|PreStop|PreFreeze) (Start|End) RequestId: (.*)$/.exec(line);
      const timestamped = /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(line);
      if (marker || timestamped) inTimeoutEntry = false;
      if (inTimeoutEntry) continue;
      if (timestamped && / \[error\] FunctionTimeout: Function timed out after [\d.]+ seconds$/.test(line)) {
        server.timeoutLines++;
        inTimeoutEntry = true;
      } else if (marker) {
        const map = marker[1] === 'Start' ? server.starts : server.ends;
        map.set(marker[2]!, (map.get(marker[2]!) ?? 0) + 1);
      } else if (/^\d{4}-\d\d-\d\dT[\d:.]+Z .* \[warn\] Request refused: /.test(line)) {
        server.warnLines++;
      } else if (/listening on [\d.]+:(\d+)/.test(line) && onListening) {
        onListening(Number(/listening on [\d.]+:(\d+)/.exec(line)![1]));
        onListening = undefined;
      } else if (server.unexpected.length < 50) {
        server.unexpected.push(line);
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

/** One request on its own connection, read whole (for the probe and the good requests). */
async function request(port: number, wire: string): Promise<Reply> {
  const outcome = await sendCase(port, { wire: latin1(wire), halfClose: false });
  assert.equal(outcome.replies.length, 1, `no reply to ${wire.slice(0, 80)}`);
  return outcome.replies[0]!;
}

interface Memory { heapUsed: number; vmRss: number; fds: number }

async function probeMemory(port: number): Promise<Memory> {
  const reply = await request(port, `POST /invoke HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: probe\r\n`
    + `Connection: close\r\nContent-Length: ${MEMORY_PROBE.length}\r\n\r\n${MEMORY_PROBE}`);
  assert.equal(reply.status, 200, reply.body.toString());
  return JSON.parse(reply.body.toString()) as Memory;
}

test(`a corpus of ${CORPUS} mutated requests (seed ${SEED}): only well-formed replies, FC's JSON errors, markers paired, memory flat`, { timeout: 120_000 }, async (t) => {
  t.diagnostic(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} node --import tsx --test spec/fuzz.spec.ts)`);
  const server = await spawnGcServer(join(FIXTURES, 'rel-fuzz.mjs'));
  t.after(() => server.child.kill('SIGKILL'));
  let exited: string | undefined;
  server.child.on('exit', (code, signal) => { exited = `exit ${code ?? signal}`; });

  // Warm-up: a corpus of its own (another seed), so JIT code, pools and caches exist before the baseline.
  const warmUp = new Tally();
  await runCorpus(server.port, generate(SEED ^ 0xa5a5a5a5, WARM_UP, 'warm'), warmUp);
  const before = await probeMemory(server.port);

  const cases = generate(SEED, CORPUS, 'fz');
  const tally = new Tally();
  const started = Date.now();
  await runCorpus(server.port, cases, tally);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(exited, undefined, 'the server is still running');

  // Still serving, byte for byte.
  const event = Buffer.from('after the corpus: \0\r\n\xff', 'latin1');
  const good = await sendCase(server.port, {
    wire: Buffer.concat([latin1(`POST /invoke HTTP/1.1\r\nHost: x\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: good-1\r\n`
      + `Content-Length: ${event.length}\r\n\r\n`), event]),
    halfClose: false,
  });
  assert.equal(good.replies[0]?.status, 200);
  assert.deepEqual(good.replies[0]!.body, event);
  const web = await request(server.port, 'GET /web HTTP/1.1\r\nHost: x\r\nx-fc-request-id: good-2\r\n\r\n');
  assert.equal(web.body.toString(), 'GET 0 good-2');

  const after = await probeMemory(server.port);

  // Every request the runtime dispatched has its End marker (the last ones may still be in the pipe).
  const unpaired = (): string[] => {
    const ids: string[] = [];
    for (const [id, count] of server.starts) if (server.ends.get(id) !== count) ids.push(id);
    for (const [id, count] of server.ends) if (server.starts.get(id) !== count) ids.push(id);
    return ids;
  };
  for (let i = 0; i < 100 && unpaired().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));

  const outcomes = [...tally.outcomes].sort((a, b) => b[1] - a[1]).map(([what, count]) => `${what}: ${count}`).join('; ');
  const statuses = [...tally.statuses].sort((a, b) => a[0] - b[0]).map(([status, count]) => `${status}×${count}`).join(' ');
  t.diagnostic(`corpus ${CORPUS} mutated requests (+${WARM_UP} warm-up), ${CONCURRENCY} sockets at a time, ${seconds.toFixed(1)} s`);
  t.diagnostic(`first reply per connection: ${outcomes}`);
  t.diagnostic(`all replies: ${tally.replies} (${statuses}); responses cut short by a close: ${tally.cutShort}`);
  t.diagnostic(`requests dispatched (Start markers): ${server.starts.size}; runtime warn lines (refusals): ${server.warnLines}; FunctionTimeout entries: ${server.timeoutLines}`);
  t.diagnostic(`heap after GC: ${MiB(before.heapUsed)} -> ${MiB(after.heapUsed)} (growth ${MiB(after.heapUsed - before.heapUsed)}, bound ${MiB(HEAP_GROWTH_BOUND)}); `
    + `VmRSS ${MiB(before.vmRss)} -> ${MiB(after.vmRss)} (bound +${MiB(RSS_GROWTH_BOUND)}); open fds ${before.fds} -> ${after.fds}`);

  assert.deepEqual(tally.problems.slice(0, 20), [], `${tally.problems.length} bad replies`);
  assert.deepEqual(warmUp.problems.slice(0, 20), []);
  assert.equal(tally.cutShort, 0, 'no response was cut short');
  assert.ok((tally.outcomes.get('400 InvalidArgument JSON') ?? 0) > CORPUS / 10, 'the corpus does reach the parser errors');
  assert.ok((tally.statuses.get(200) ?? 0) > CORPUS / 10, 'the corpus does reach the handlers');
  assert.deepEqual(unpaired().slice(0, 20), [], 'every Start marker has exactly one End');
  assert.deepEqual(server.unexpected, [], 'no error line, no crash report on stdout');
  assert.equal(server.stderr(), '');
  assert.ok(after.heapUsed - before.heapUsed < HEAP_GROWTH_BOUND, `heap grew ${MiB(after.heapUsed - before.heapUsed)}`);
  assert.ok(after.vmRss - before.vmRss < RSS_GROWTH_BOUND, `RSS grew ${MiB(after.vmRss - before.vmRss)}`);
  assert.ok(after.fds <= before.fds + 5, `open fds ${before.fds} -> ${after.fds}`);
});
