/**
 * `fc-container/testing`: test a function without deploying it. {@link createTestClient} drives
 * the very server `createServer()` builds, over a loopback connection through Node's own HTTP
 * parser, with the headers FC sends: so FC's limits, header rules, Initializer, function timeout,
 * markers and `context.logger` behave as in production, and each result carries that
 * invocation's own log lines.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, getContext, interceptOutput, type Handlers, type LimitsPreset, type Limits, type Options, type Profile } from './index.js';
import { buildFcHeaders } from './rules/fc-headers.js';
import { releaseCapture, retainCapture, trackCall, untrackCall, type CaptureHooks } from './testing/capture.js';
import { buildResult, type TestResult } from './testing/result.js';
import { checkRealTimers } from './testing/timers.js';

export type { TestResult } from './testing/result.js';

/** What FC would send and configure; everything optional. */
export interface TestClientOptions {
  /** The function's settings: `timeout` in seconds, fractions accepted (a timeout test in tens of milliseconds). */
  function?: { name?: string; memory?: number; timeout?: number; handler?: string; initializer?: string; initializationTimeout?: number; preStop?: string };
  /** The credentials FC hands the function (hidden in `logs` as in production). */
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  region?: string;
  accountId?: string;
  service?: string;
  qualifier?: string;
  /** FC 2.0's rules (default) or FC 3.0's. */
  profile?: Profile;
  /** `'fc3'` or explicit limits, as `createServer`'s `limits`. */
  limits?: LimitsPreset | Partial<Limits>;
  /** Print each invocation's lines on stdout too; default false (they are in `result.logs`). */
  printLogs?: boolean;
  /** Any other `createServer()` option (`stripBasePath`, `logLevel`, `bodyTimeoutMs`, ...). */
  server?: Omit<Options, 'port' | 'host' | 'profile' | 'limits' | 'markers' | 'asyncContext' | 'handleSignals'>;
}

/** A request for {@link TestClient.http}: as `fetch`'s init, with a body of bytes, text or JSON. */
export interface TestRequestInit {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array | ArrayBuffer | Record<string, unknown> | unknown[] | null;
}

/** An in-process client of one function's server, with FC's exact semantics. */
export interface TestClient {
  /** An event invocation (`POST /invoke`): an object is sent as JSON, a string as UTF-8, bytes as they are. */
  invoke(event?: unknown, init?: { headers?: Record<string, string> }): Promise<TestResult>;
  /** An HTTP request to the HTTP function: a path (`'/api/x?y=1'`) and init, or a `Request`. */
  http(input: string | Request, init?: TestRequestInit): Promise<TestResult>;
  /** FC's Initializer call (`POST /initialize`). The first `invoke`/`http` makes it when the test has not. */
  initialize(): Promise<TestResult>;
  /** FC's PreStop call (`GET /pre-stop`). */
  preStop(): Promise<TestResult>;
  /** Closes the server and its connections; nothing is left open, so the runner exits on its own. */
  close(): Promise<void>;
  /** The server `createServer()` built (listening on a loopback port once a call was made). */
  readonly server: Server;
}

const HOOKS: CaptureHooks = { interceptOutput, currentRequestId: () => getContext()?.requestId };

/** Builds a client for `handlers` (the object `serve()` takes); no port is opened until the first call. */
export function createTestClient(handlers: Handlers, options: TestClientOptions = {}): TestClient {
  return new FunctionClient(handlers, options);
}

class FunctionClient implements TestClient {
  readonly server: Server;
  readonly #options: TestClientOptions;
  readonly #hasInitializer: boolean;
  readonly #agent = new Agent({ keepAlive: true });
  #listening: Promise<number> | undefined;
  #initialized = false;
  #closed = false;

  constructor(handlers: Handlers, options: TestClientOptions) {
    this.#options = options;
    this.#hasInitializer = typeof handlers.initialize === 'function';
    this.server = createServer(handlers, {
      ...options.server,
      profile: options.profile,
      limits: options.limits,
      markers: true,
      asyncContext: true,
    });
    retainCapture(HOOKS);
  }

  invoke(event?: unknown, init: { headers?: Record<string, string> } = {}): Promise<TestResult> {
    return this.#call('POST', '/invoke', '/invoke', toBody(event), { 'content-type': 'application/octet-stream', ...init.headers }, true);
  }

  async http(input: string | Request, init: TestRequestInit = {}): Promise<TestResult> {
    if (typeof input !== 'string') {
      const url = new URL(input.url);
      const headers: Record<string, string> = {};
      input.headers.forEach((value, name) => { headers[name] = value; });
      const body = input.body === null ? undefined : Buffer.from(await input.arrayBuffer());
      return this.#call(input.method, url.pathname + url.search, '/http-invoke', body, headers, true);
    }
    if (!input.startsWith('/')) throw new TypeError(`fc.http() takes a path starting with "/" or a Request, got "${input}"`);
    return this.#call(init.method ?? 'GET', input, '/http-invoke', toBody(init.body ?? undefined), init.headers ?? {}, true);
  }

  async initialize(): Promise<TestResult> {
    const result = await this.#call('POST', '/initialize', '/initialize', undefined, {}, false);
    if (result.status === 200) this.#initialized = true;
    return result;
  }

  preStop(): Promise<TestResult> {
    return this.#call('GET', '/pre-stop', '/pre-stop', undefined, {}, false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    releaseCapture(HOOKS);
    this.#agent.destroy();
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #call(method: string, path: string, controlPath: string, body: Buffer | undefined, given: Record<string, string | string[]>, initializeFirst: boolean): Promise<TestResult> {
    if (this.#closed) throw new Error('fc-container/testing: the client is closed');
    checkRealTimers();
    // FC calls the Initializer before the first invocation; a failure fails that invocation.
    let before: string[] = [];
    if (initializeFirst && this.#hasInitializer && !this.#initialized) {
      const init = await this.initialize();
      if (!this.#initialized) return { ...init, errorType: 'InitializationError' };
      before = init.logs;
    }
    const port = await this.#listen();
    const requestId = randomUUID();
    const headers: Record<string, string | string[]> = {};
    // FC drops the caller's x-fc-* headers and sends its own.
    for (const [name, value] of Object.entries(given)) if (!name.toLowerCase().startsWith('x-fc-')) headers[name] = value;
    Object.assign(headers, this.#fcHeaders(requestId, controlPath));
    const secrets = Object.values(this.#options.credentials ?? {}).filter((value): value is string => typeof value === 'string');
    const log = { lines: [...before], secrets, print: this.#options.printLogs === true };
    trackCall(requestId, log);
    try {
      const reply = await send(this.#agent, port, method, path, headers, body);
      return buildResult(reply.status, reply.headers, reply.body, requestId, log.lines, controlPath);
    } finally {
      untrackCall(requestId);
    }
  }

  #fcHeaders(requestId: string, controlPath: string): Record<string, string> {
    const o = this.#options;
    const fn = o.function ?? {};
    return buildFcHeaders({
      requestId,
      controlPath,
      functionName: fn.name ?? 'my-function',
      handler: fn.handler ?? 'index.handler',
      memory: fn.memory ?? 512,
      timeout: fn.timeout ?? 60,
      region: o.region ?? 'cn-hangzhou',
      accountId: o.accountId ?? '123456789',
      qualifier: o.qualifier ?? 'LATEST',
      retryCount: 0,
      serviceName: o.service ?? 'my-service',
      initializer: this.#hasInitializer || fn.initializer
        ? { handler: fn.initializer ?? 'index.initialize', timeout: fn.initializationTimeout ?? fn.timeout ?? 60 }
        : undefined,
      preStopHandler: fn.preStop,
      credentials: o.credentials,
    });
  }

  #listen(): Promise<number> {
    this.#listening ??= new Promise<number>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.removeListener('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
    return this.#listening;
  }
}

/** An event or body as bytes: bytes as they are, a string as UTF-8, anything else as JSON. */
function toBody(value: unknown): Buffer | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(JSON.stringify(value), 'utf8');
}

interface Reply { status: number; headers: IncomingHttpHeaders; body: Buffer }

/** One request over the client's keep-alive agent, the whole answer read. */
function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string | string[]>, body: Buffer | undefined): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
