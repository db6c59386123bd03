/**
 * The gateway side of FC's contract, run locally: FC's invocation APIs and HTTP trigger in front of
 * one function instance (a command it starts, or a server already running), with FC's limits and
 * header rules (the core's own modules), the Initializer, the function timeout, instance
 * concurrency, PreStop, and a summary line per invocation.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { drainRequest, readBody } from '../rules/body.js';
import { answerClientError } from '../rules/client-error.js';
import type { FunctionErrorBody, GatewayError } from '../rules/errors.js';
import { HIDDEN_REQUEST_HEADERS, scanRequestHeaders, type RequestHeaderScan } from '../rules/headers.js';
import { checkRequestLimits, createResponseHeadersError, filterResponseHeaders } from '../rules/limit-checks.js';
import { getMaxHeaderSize } from '../rules/limits.js';
import { sendGatewayError } from '../rules/response.js';
import { answerLength, createAnswerTooLargeError, readAnswer, type AnswerBody } from './answer.js';
import {
  createHeadOverflowError, describeLostRequest, exchangeWhole, getMaxResponseHeadSize, headerValue, isHeadOverflow, sendToInstance,
  type ExchangeSpec, type WholeResponse,
} from './exchange.js';
import { Instance, newInstanceId, StartError } from './instance.js';
import { isLoopbackAddress, readListenAddresses } from './listen-address.js';
import { formatMemory } from './memory.js';
import { Printer } from './output.js';
import { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
import { QueueClosedError, Slots } from './queue.js';
import { resolveRoute, type HttpRoute, type InvokeRoute, type Served } from './routes.js';

/** `x-fc-error-type` of a function's failure (FC's HTTP trigger docs: function errors). */
export const UNHANDLED_INVOCATION_ERROR = 'UnhandledInvocationError';
/** `x-fc-error-type` of a request FC refuses (FC's HTTP trigger docs: request errors). */
export const FC_COMMON_ERROR = 'FcCommonError';

/** One line per invocation, also emitted as `'invocation'`. */
export interface InvocationSummary {
  requestId: string;
  instanceId: string;
  kind: 'invoke' | 'http';
  method: string;
  /** The path the container was sent (`/invoke` for an event). */
  path: string;
  /** The status the caller got (0 when the caller went away first). */
  status: number;
  /** Why it failed, when it did: `UnhandledInvocationError`, `FunctionTimeout`, `BadResponse`, ... */
  error: string | undefined;
  /** From sending the request to the container until its response ended, ms. */
  durationMs: number;
  /** `durationMs` rounded up to the billing unit (1 ms by default, as FC 3.0 bills). */
  billedMs: number;
  /** The function's configured memory, MB. */
  memorySize: number;
  /** The instance's peak resident memory during the invocation, bytes; undefined when not measurable (`--target`). */
  maxMemoryUsed: number | undefined;
}

/** An Initializer run, emitted as `'initialize'`. */
export interface InitializeReport {
  requestId: string;
  instanceId: string;
  ok: boolean;
  /** The container's status, or 0 when it never answered (crash, timeout). */
  status: number;
  durationMs: number;
  error: string | undefined;
}

/** An instance that became ready, emitted as `'ready'`. */
export interface ReadyReport {
  instanceId: string;
  pid: number | undefined;
  port: number;
  /** Spawn until the port accepted a TCP connection, ms. */
  readyMs: number;
}

/** The cold start of the current instance. */
export interface ColdStart {
  instanceId: string;
  readyMs: number | undefined;
  initializerMs: number | undefined;
}

/** What an Initializer run tells the requests that waited on it. */
type InitOutcome =
  | { ok: true }
  | { ok: false; status: number; headers: string[]; body: Buffer };

type GatewayInstance = Instance<InitOutcome>;

/** Request headers the gateway never forwards: the ones FC drops, the body framing it redoes, and hop-by-hop ones. */
const DROPPED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  ...HIDDEN_REQUEST_HEADERS,
  'transfer-encoding',
  'content-length',
  'expect',
  'upgrade',
  'proxy-connection',
]);

const EMPTY = Buffer.alloc(0);

/** FC 3.0-style request ids: `1-<8 hex seconds>-<24 hex>`, fresh for every request. */
export function newRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

function isSuccess(fcStatus: string | undefined): boolean {
  return fcStatus === undefined || /^\s*2\d\d\s*$/.test(fcStatus);
}

function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function sendJson(res: ServerResponse, status: number, requestId: string, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
    'x-fc-request-id': requestId,
    ...extra,
  });
  res.end(json);
}

/** FC's gateway shape, `{"ErrorCode","ErrorMessage"}`, for the gateway's own codes. */
function sendFcError(res: ServerResponse, status: number, requestId: string, errorCode: string, message: string, extra: Record<string, string> = {}): void {
  sendJson(res, status, requestId, { ErrorCode: errorCode, ErrorMessage: message }, extra);
}

/** A function failure the gateway reports itself, in FC's runtime shape, with `x-fc-error-type`. */
function sendFunctionFailure(res: ServerResponse, status: number, requestId: string, body: FunctionErrorBody): void {
  sendJson(res, status, requestId, body, { 'x-fc-error-type': UNHANDLED_INVOCATION_ERROR });
}

/** Resolves to a port nobody listens on now (the command is given it in FC_CUSTOM_LISTEN_PORT). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '0.0.0.0', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** A started gateway. Emits `'ready'`, `'initialize'`, `'invocation'`, `'restart'` and `'exit'`. */
export class Gateway extends EventEmitter {
  readonly options: ResolvedGatewayOptions;
  readonly server: Server;
  readonly printer: Printer;
  #port = 0;
  readonly #slots: Slots;
  readonly #served: Served;
  #current: GatewayInstance | undefined;
  #starting: Promise<GatewayInstance> | undefined;
  #closing: Promise<void> | undefined;
  readonly #warned = new Set<string>();
  /** Whether the gateway said once that /proc cannot tell the listen address. */
  #saidAddressUnknown = false;
  readonly #maxResponseHead: number;
  readonly #onProcessExit = (): void => { this.#current?.killNow(); };

  constructor(options: ResolvedGatewayOptions) {
    super();
    this.options = options;
    this.printer = new Printer(options.stdout, options.stderr);
    this.#slots = new Slots(options.concurrency);
    this.#maxResponseHead = getMaxResponseHeadSize(options.limits);
    this.#served = { functionName: options.functionName, serviceName: options.serviceName, customDomain: options.customDomain };
    this.server = createServer({
      maxHeaderSize: getMaxHeaderSize(options.limits),
      requestTimeout: 0,
      headersTimeout: 30_000,
      keepAliveTimeout: 5_000,
      noDelay: true,
    }, (req, res) => this.#onRequest(req, res, false));
    this.server.on('checkContinue', (req, res) => this.#onRequest(req, res, true));
    this.server.on('clientError', (error: Error & { code?: string }, socket) => {
      answerClientError(error, socket, { 'x-fc-request-id': newRequestId(), 'x-fc-error-type': FC_COMMON_ERROR });
    });
  }

  /** The gateway's port. */
  get port(): number {
    return this.#port;
  }

  /** `http://<host>:<port>` (an unspecified host shows as 127.0.0.1). */
  get url(): string {
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.#port}`;
  }

  /** The current instance: its FC_INSTANCE_ID, pid (none for a target) and port. */
  get instance(): { id: string; pid: number | undefined; port: number } | undefined {
    const current = this.#current;
    return current && { id: current.id, pid: current.pid, port: current.port };
  }

  /** The current instance's cold start: spawn to port open, and the Initializer. */
  get coldStart(): ColdStart | undefined {
    const current = this.#current;
    return current && { instanceId: current.id, readyMs: current.readyMs, initializerMs: current.initializerMs };
  }

  /** Listens, then starts the instance and waits until it is ready. */
  async start(): Promise<void> {
    const { port, host } = this.options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        reject(error.code === 'EADDRINUSE'
          ? Object.assign(new Error(`Port ${port} is taken (${host}:${port}): choose another with --port, or --port 0 for a free one`), { code: 'EADDRINUSE' })
          : error);
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.removeListener('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.#port = typeof address === 'object' && address ? address.port : port;
    process.on('exit', this.#onProcessExit);
    try {
      this.#starting = this.#startInstance();
      await this.#starting;
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      this.#starting = undefined;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Instances

  async #startInstance(): Promise<GatewayInstance> {
    if (this.#closing) throw new StartError('exited', 'The gateway is shutting down', 0, null, null, '');
    const o = this.options;
    const instanceId = newInstanceId();
    let instance: GatewayInstance;
    if (o.target) {
      instance = Instance.target(o.target, instanceId);
    } else {
      const port = o.containerPort || await findFreePort();
      instance = Instance.spawn({
        command: o.command!,
        env: this.#childEnv(port, instanceId),
        port,
        instanceId,
        prefix: `[${o.functionName}] `,
        printer: this.printer,
      });
      instance.onExit((exitedInstance, exit) => this.#onInstanceExit(exitedInstance, exit.code, exit.signal));
    }
    this.#current = instance;
    try {
      await instance.waitReady(o.startTimeout * 1000);
    } catch (error) {
      await instance.stop(o.stopTimeout * 1000);
      throw error;
    }
    const readyMs = instance.readyMs!;
    if (o.target) {
      this.printer.line(`Forwarding to ${o.target.origin} (--target; not started or stopped here, memory not measured)`);
    } else {
      this.printer.line(`Cold start: instance ${instance.id} (pid ${instance.pid}) listening on port ${instance.port} ${readyMs} ms after spawn`);
      this.#checkReachable(instance);
    }
    this.emit('ready', { instanceId: instance.id, pid: instance.pid, port: instance.port, readyMs } satisfies ReadyReport);
    return instance;
  }

  #childEnv(port: number, instanceId: string): NodeJS.ProcessEnv {
    const o = this.options;
    const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
    if (o.limitsPreset === 'fc3' && env.FC_CONTAINER_LIMITS === undefined) env.FC_CONTAINER_LIMITS = 'fc3';
    Object.assign(env, {
      FC_CUSTOM_LISTEN_PORT: String(port),
      FC_SERVER_PORT: String(port),
      FC_FUNCTION_NAME: o.functionName,
      FC_FUNCTION_HANDLER: o.handler,
      FC_FUNCTION_MEMORY_SIZE: String(o.memory),
      FC_REGION: o.region,
      FC_ACCOUNT_ID: o.accountId,
      FC_INSTANCE_ID: instanceId,
      FC_QUALIFIER: o.qualifier,
    });
    return env;
  }

  /**
   * FC cannot reach a server that listens on loopback only (FunctionNotStarted): say so. The
   * addresses come from /proc, so nothing is sent off this machine's loopback to find out.
   */
  #checkReachable(instance: GatewayInstance): void {
    if (instance.pid === undefined || instance.state !== 'ready') return;
    const addresses = readListenAddresses(instance.pid, instance.port);
    if (addresses === undefined) {
      if (this.#saidAddressUnknown) return;
      this.#saidAddressUnknown = true;
      this.printer.line(`Cannot tell from /proc which address port ${instance.port} listens on (not Linux, or not in the command's process group). `
        + 'FC connects from outside the container: the server must listen on 0.0.0.0.');
      return;
    }
    if (!addresses.every(isLoopbackAddress)) return;
    this.printer.warn(`Warning: the function accepts connections on ${[...new Set(addresses)].join(' and ')} only (loopback), port ${instance.port}. `
      + 'FC connects from outside the container: listen on 0.0.0.0, or FC reports FunctionNotStarted.');
  }

  #onInstanceExit(instance: GatewayInstance, code: number | null, signal: NodeJS.Signals | null): void {
    this.emit('exit', { instanceId: instance.id, code, signal });
    if (instance.replaced || this.#closing || instance.readyMs === undefined) return;
    this.printer.warn(`Instance ${instance.id} exited unexpectedly (${signal ? `killed by ${signal}` : `code ${code}`})`);
    this.#restart(instance, 'its process exited');
  }

  /** The ready instance; waits for one being started, or starts one when the last one died. */
  #ready(): Promise<GatewayInstance> {
    if (this.#starting) return this.#starting;
    const current = this.#current;
    if (current && current.state === 'ready') return Promise.resolve(current);
    const starting = this.#startInstance();
    this.#starting = starting;
    const clear = (): void => { if (this.#starting === starting) this.#starting = undefined; };
    starting.then(clear, clear);
    return starting;
  }

  /**
   * Replaces `instance` (once): stops it (SIGTERM, then SIGKILL) and starts a new one at once; a
   * request arriving meanwhile waits for the new one. A `--target` server cannot be restarted: its
   * Initializer state is reset instead.
   */
  #restart(instance: GatewayInstance, reason: string): void {
    if (instance.replaced || this.#closing || this.#current !== instance) return;
    instance.replaced = true;
    this.emit('restart', { instanceId: instance.id, reason });
    if (this.options.target) {
      this.printer.warn(`The --target server cannot be restarted here (${reason}); its Initializer will run again`);
      instance.init = { done: false, running: undefined };
      instance.replaced = false;
      return;
    }
    this.printer.warn(`Restarting instance ${instance.id}: ${reason}`);
    if (instance.state === 'ready') instance.state = 'stopping';
    const starting = instance.stop(this.options.stopTimeout * 1000).then(() => this.#startInstance());
    this.#starting = starting;
    const clear = (): void => { if (this.#starting === starting) this.#starting = undefined; };
    starting.then(clear, (error: Error) => {
      clear();
      if (!this.#closing) this.printer.warn(`The new instance did not start: ${error.message}`);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  #onRequest(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const requestId = newRequestId();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const route = resolveRoute(method, url, this.#served);
    if (route.kind === 'error') {
      sendFcError(res, route.status, requestId, route.errorCode, route.message, route.allow ? { allow: route.allow } : {});
      return;
    }
    const scan: RequestHeaderScan = {
      headerBytes: 0, controlPath: '', requestId: '', basePath: '', functionTimeout: 0, initializationTimeout: 0,
      contentLength: -1, chunked: false,
    hasHost: false, hasHiddenHeaders: false,
    };
    scanRequestHeaders(req.rawHeaders, scan);
    const refusal = checkRequestLimits(url, scan.headerBytes, scan.contentLength, this.options.limits);
    if (refusal) {
      this.#refuse(req, res, requestId, refusal, expectContinue);
      return;
    }
    if (expectContinue) res.writeContinue();
    if (scan.contentLength > 0 || (scan.contentLength === -1 && scan.chunked)) {
      readBody(req, this.options.limits.body, this, (gateway, error, body) => {
        if (error === null) void gateway.#dispatch(req, res, requestId, route, body);
        else if ((error as GatewayError).errorCode) gateway.#refuse(req, res, requestId, error as GatewayError, false);
        // else: the client went away mid-body; nobody to answer.
      });
      return;
    }
    void this.#dispatch(req, res, requestId, route, EMPTY);
  }

  /**
   * FC's 400 `InvalidArgument` with `connection: close`, then the rest of the body is read and
   * thrown away (bounded) before the connection closes, so the client reads its 400, not a reset.
   * After `Expect: 100-continue` the client may send the body anyway (RFC 9110 §10.1.1), so it is
   * drained too, and the connection half-closed once the 400 is out for a client that waits.
   */
  #refuse(req: IncomingMessage, res: ServerResponse, requestId: string, error: GatewayError, expectContinue: boolean): void {
    this.printer.warn(`RequestId: ${requestId} refused: ${error.message}`);
    res.setHeader('x-fc-request-id', requestId);
    res.setHeader('x-fc-error-type', FC_COMMON_ERROR);
    sendGatewayError(res, error, true);
    drainRequest(req, res, expectContinue);
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer): Promise<void> {
    const gone = new AbortController();
    const onClose = (): void => { if (!res.writableFinished) gone.abort(); };
    res.once('close', onClose);
    let release: () => void;
    try {
      release = await this.#slots.acquire(gone.signal);
    } catch (error) {
      if (error instanceof QueueClosedError && !gone.signal.aborted) {
        sendFcError(res, 503, requestId, 'ServiceUnavailable', 'The emulator is shutting down');
      }
      return;
    }
    try {
      let instance: GatewayInstance;
      try {
        instance = await this.#ready();
      } catch (error) {
        sendFcError(res, 502, requestId, 'FunctionNotStarted', (error as Error).message, { 'x-fc-error-type': UNHANDLED_INVOCATION_ERROR });
        return;
      }
      if (gone.signal.aborted) return;
      if (!(await this.#ensureInitialized(instance, res, requestId))) return;
      // An output nobody reads holds invocations back, or their summary lines would pile up.
      await this.printer.whenWritable();
      if (gone.signal.aborted) return;
      await this.#invoke(instance, req, res, requestId, route, body, gone.signal);
    } finally {
      release();
    }
  }

  /** FC's common headers for one request to the instance. */
  #commonHeaders(requestId: string, controlPath: string, extra: { serviceName?: string; qualifier?: string; basePath?: string; clientIp?: string } = {}): Record<string, string> {
    const o = this.options;
    const headers: Record<string, string> = {
      'x-fc-request-id': requestId,
      'x-fc-control-path': controlPath,
      'x-fc-function-name': o.functionName,
      'x-fc-function-handler': o.handler,
      'x-fc-function-memory': String(o.memory),
      'x-fc-function-timeout': String(o.timeout),
      'x-fc-region': o.region,
      'x-fc-account-id': o.accountId,
      'x-fc-qualifier': extra.qualifier ?? o.qualifier,
      'x-fc-retry-count': '0',
    };
    if (o.initializer) {
      headers['x-fc-function-initializer'] = o.initializerHandler;
      headers['x-fc-initialization-timeout'] = String(o.initializationTimeout);
    }
    if (o.preStop) headers['x-fc-instance-lifecycle-pre-stop-handler'] = o.preStopHandler;
    if (extra.serviceName) headers['x-fc-service-name'] = extra.serviceName;
    if (extra.basePath) headers['x-fc-base-path'] = extra.basePath;
    if (extra.clientIp) headers['x-fc-client-ip'] = extra.clientIp;
    const env = { ...process.env, ...o.env };
    if (env.ALIBABA_CLOUD_ACCESS_KEY_ID) headers['x-fc-access-key-id'] = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    if (env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) headers['x-fc-access-key-secret'] = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    if (env.ALIBABA_CLOUD_SECURITY_TOKEN) headers['x-fc-security-token'] = env.ALIBABA_CLOUD_SECURITY_TOKEN;
    return headers;
  }

  // -------------------------------------------------------------------------------------------
  // The Initializer

  /** Runs the Initializer once per instance before its first request; false when it failed and the request was answered. */
  async #ensureInitialized(instance: GatewayInstance, res: ServerResponse, requestId: string): Promise<boolean> {
    if (!this.options.initializer || instance.init.done) return true;
    const state = instance.init;
    if (!state.running) {
      const running = this.#runInitializer(instance);
      state.running = running;
      const clear = (): void => { if (state.running === running) state.running = undefined; };
      running.then(clear, clear);
    }
    const outcome = await state.running!;
    if (outcome.ok) return true;
    if (res.headersSent || res.destroyed) return false;
    const headers = [...outcome.headers, 'x-fc-request-id', requestId, 'x-fc-error-type', UNHANDLED_INVOCATION_ERROR];
    if (outcome.body.length > 0) headers.push('content-length', String(outcome.body.length));
    res.writeHead(outcome.status, headers);
    res.end(outcome.body);
    return false;
  }

  async #runInitializer(instance: GatewayInstance): Promise<InitOutcome> {
    const o = this.options;
    const requestId = newRequestId();
    const headers: OutgoingHttpHeaders = { ...this.#commonHeaders(requestId, '/initialize'), 'content-length': '0' };
    const started = performance.now();
    const report = (ok: boolean, status: number, error: string | undefined): void => {
      const durationMs = performance.now() - started;
      if (ok) instance.initializerMs = Math.round(durationMs);
      this.printer.line(`Initializer RequestId: ${requestId} ${ok ? 'succeeded' : 'failed'}${status ? ` (${status})` : ''}`
        + `${error ? `: ${error}` : ''} in ${durationMs.toFixed(2)} ms${ok ? ` (cold start: ${instance.readyMs ?? 0} ms to port open + ${instance.initializerMs} ms Initializer)` : ''}`);
      this.emit('initialize', { requestId, instanceId: instance.id, ok, status, durationMs, error } satisfies InitializeReport);
    };
    let answer: WholeResponse;
    try {
      answer = await exchangeWhole(instance, { method: 'POST', path: '/initialize', headers, body: EMPTY }, o.initializationTimeout * 1000, this.#maxResponseHead);
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      const message = timedOut
        ? `Initializer timed out after ${o.initializationTimeout} seconds`
        : (await describeLostRequest(instance, error as Error)).message;
      report(false, 0, message);
      this.#restart(instance, timedOut ? 'the Initializer timed out' : 'the Initializer did not answer');
      const body = Buffer.from(JSON.stringify({ errorMessage: message, errorType: timedOut ? 'InitializationTimeout' : 'InitializationError' }));
      return { ok: false, status: 502, headers: ['content-type', 'application/json'], body };
    }
    const ok = answer.status >= 200 && answer.status < 300 && isSuccess(answer.fcStatus);
    if (ok) {
      instance.init.done = true;
      report(true, answer.status, undefined);
      return { ok: true };
    }
    const restart = answer.status === 500;
    report(false, answer.status, restart ? 'restarting the instance; the next request initializes the new one' : 'the next request sends it again');
    if (restart) this.#restart(instance, 'the Initializer answered 500');
    const kept = filterResponseHeaders(answer.rawHeaders).kept;
    const headersOut: string[] = [];
    for (let i = 0; i < kept.length; i += 2) if (kept[i] !== 'x-fc-status') headersOut.push(kept[i]!, kept[i + 1]!);
    return { ok: false, status: answer.status, headers: headersOut, body: answer.body };
  }

  // -------------------------------------------------------------------------------------------
  // Invocations

  #requestSpec(req: IncomingMessage, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer): ExchangeSpec {
    const ip = clientIp(req);
    if (route.kind === 'invoke') {
      return {
        method: 'POST',
        path: '/invoke',
        headers: {
          ...this.#commonHeaders(requestId, '/invoke', { serviceName: route.serviceName, qualifier: route.qualifier, clientIp: ip }),
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
        },
        body,
      };
    }
    const headers: Record<string, string | string[]> = {};
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name.startsWith('x-fc-') || DROPPED_REQUEST_HEADERS.has(name)) continue;
      const value = raw[i + 1]!;
      const existing = headers[name];
      if (existing === undefined) headers[name] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else headers[name] = [existing, value];
    }
    if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
    Object.assign(headers, this.#commonHeaders(requestId, '/http-invoke', {
      serviceName: route.serviceName, qualifier: route.qualifier, basePath: route.basePath, clientIp: ip,
    }));
    return { method: req.method ?? 'GET', path: req.url ?? '/', headers, body };
  }

  async #invoke(instance: GatewayInstance, req: IncomingMessage, res: ServerResponse, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer, gone: AbortSignal): Promise<void> {
    const o = this.options;
    const spec = this.#requestSpec(req, requestId, route, body);
    const forceDownload = route.kind === 'http' && route.basePath !== '';
    // The peak is reset only when nothing else runs inside: with concurrency, a figure covers the
    // overlapping invocations too (it is the instance's peak, as FC measures an instance).
    const measured = instance.inFlight === 0 ? instance.resetPeak() : instance.child !== undefined;
    instance.inFlight++;
    const controller = new AbortController();
    let timedOut = false;
    let status = 0;
    let error: string | undefined;
    let peak: number | undefined;
    let durationMs: number | undefined;
    const started = performance.now();
    const timer = setTimeout(() => {
      timedOut = true;
      peak = measured ? instance.readPeak() : undefined;
      controller.abort();
      status = 502;
      error = 'FunctionTimeout';
      const usage = peak === undefined ? '' : ` (maxMemoryUsage: ${(peak / (1024 * 1024)).toFixed(2)}MB)`;
      if (!gone.aborted) sendFunctionFailure(res, 502, requestId, { errorMessage: `Function timed out after ${o.timeout} seconds${usage}`, errorType: 'FunctionTimeout' });
      this.#restart(instance, `an invocation timed out after ${o.timeout} s`);
    }, o.timeout * 1000);
    let headed = false;
    try {
      const upstream = await sendToInstance(instance, spec, controller.signal, this.#maxResponseHead);
      headed = true;
      const answer = await readAnswer(upstream, o.limits.body);
      // The invocation ends here, when the container has answered, whatever the caller does next.
      durationMs = performance.now() - started;
      clearTimeout(timer);
      const answered = this.#respond(res, requestId, spec.method, upstream, answer, forceDownload, gone);
      status = answered.status;
      error = answered.error;
    } catch (failure) {
      if (!timedOut) {
        // Nothing went to the caller yet: the answer is sent only once it is whole.
        status = 502;
        if (isHeadOverflow(failure)) {
          // The container answered, with a head past what the parser reads: over the limit, not lost.
          const refusal = createHeadOverflowError(this.#maxResponseHead, o.limits.responseHeaders);
          durationMs = performance.now() - started;
          if (!gone.aborted) this.#replaceResponse(res, requestId, refusal);
          error = refusal.errorCode;
        } else {
          const lost = await describeLostRequest(instance, failure as Error, headed);
          error = lost.errorType;
          if (!gone.aborted) sendFunctionFailure(res, 502, requestId, { errorMessage: lost.message, errorType: lost.errorType });
        }
      }
    } finally {
      clearTimeout(timer);
      instance.inFlight--;
      durationMs ??= performance.now() - started;
      if (!timedOut) peak = measured ? instance.readPeak() : undefined;
      this.#summarize({
        requestId,
        instanceId: instance.id,
        kind: route.kind,
        method: spec.method,
        path: spec.path,
        status: gone.aborted ? 0 : status,
        error,
        durationMs,
        billedMs: Math.max(1, Math.ceil(durationMs / o.billingUnit)) * o.billingUnit,
        memorySize: o.memory,
        maxMemoryUsed: peak,
      });
    }
  }

  /**
   * Sends the container's whole answer on to the caller under FC's rules: forbidden headers
   * stripped (warned once per name), the response-header and payload limits (502 `BadResponse`),
   * `x-fc-status` read and never passed on, a failure marked `x-fc-error-type`, on the default
   * domain `content-disposition: attachment`, and the body's true length. A caller already gone
   * gets nothing (its response is destroyed; writing to it would fail).
   */
  #respond(res: ServerResponse, requestId: string, method: string, upstream: IncomingMessage, answer: AnswerBody, forceDownload: boolean, gone: AbortSignal): { status: number; error: string | undefined } {
    const filtered = filterResponseHeaders(upstream.rawHeaders);
    for (const name of filtered.stripped) {
      if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive' || name === 'date') continue;
      if (this.#warned.has(name)) continue;
      this.#warned.add(name);
      this.printer.warn(`Response header "${name}" is set by the platform, not the function: removed (warned once per name)`);
    }
    const limit = this.options.limits.responseHeaders;
    if (filtered.bytes > limit || answer.tooLarge) {
      const refusal = filtered.bytes > limit ? createResponseHeadersError(filtered.bytes, limit) : createAnswerTooLargeError(this.options.limits.body);
      if (!gone.aborted) this.#replaceResponse(res, requestId, refusal);
      return { status: refusal.status, error: refusal.errorCode };
    }
    const fcStatus = headerValue(upstream.headers['x-fc-status']);
    const failed = !isSuccess(fcStatus);
    const headers: string[] = [];
    const { kept } = filtered;
    for (let i = 0; i < kept.length; i += 2) {
      const name = kept[i]!;
      if (name === 'x-fc-status' || (forceDownload && name === 'content-disposition')) continue;
      headers.push(name, kept[i + 1]!);
    }
    if (forceDownload) headers.push('content-disposition', 'attachment');
    const status = upstream.statusCode ?? 502;
    const length = answerLength(method, status, upstream, answer.body);
    if (length !== undefined) headers.push('content-length', length);
    headers.push('x-fc-request-id', requestId);
    if (failed) headers.push('x-fc-error-type', UNHANDLED_INVOCATION_ERROR);
    if (!gone.aborted && !res.destroyed) {
      res.writeHead(status, headers);
      res.end(answer.body);
    }
    return { status, error: failed ? UNHANDLED_INVOCATION_ERROR : undefined };
  }

  /** The container's answer broke FC's response rules: the caller gets FC's error instead. */
  #replaceResponse(res: ServerResponse, requestId: string, refusal: GatewayError): void {
    this.printer.warn(`RequestId: ${requestId} response replaced: ${refusal.message}`);
    res.setHeader('x-fc-request-id', requestId);
    res.setHeader('x-fc-error-type', UNHANDLED_INVOCATION_ERROR);
    sendGatewayError(res, refusal);
  }

  #summarize(summary: InvocationSummary): void {
    const { kind, method, path } = summary;
    const what = kind === 'invoke' ? 'Invoke' : `HTTP ${method} ${path.length > 80 ? path.slice(0, 77) + '...' : path}`;
    const outcome = summary.status === 0 ? 'caller gone' : String(summary.status);
    this.printer.line(`RequestId: ${summary.requestId} ${what} -> ${outcome}${summary.error ? ` (${summary.error})` : ''}`
      + `  Duration: ${summary.durationMs.toFixed(2)} ms  Billed Duration: ${summary.billedMs} ms`
      + `  Memory Size: ${summary.memorySize} MB  Max Memory Used: ${formatMemory(summary.maxMemoryUsed)}`);
    this.emit('invocation', summary);
  }

  // -------------------------------------------------------------------------------------------
  // Stopping

  /**
   * Stops: refuses new requests, lets those inside finish (up to `stopTimeout`), sends
   * `GET /pre-stop` (with `preStop`), then SIGTERM to the command and SIGKILL after `stopTimeout`,
   * and closes the server. Idempotent; the process can exit once it resolves.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Kills the command at once (a second Ctrl-C). */
  kill(): void {
    this.#current?.killNow();
  }

  async #shutdown(): Promise<void> {
    const o = this.options;
    this.#slots.close();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = Date.now() + o.stopTimeout * 1000;
    while (this.#slots.busy > 0 && Date.now() < deadline) await wait(20);
    const instance = this.#current;
    if (instance && instance.state === 'ready' && o.preStop) await this.#runPreStop(instance);
    if (instance) await instance.stop(o.stopTimeout * 1000);
    // A restart under way has registered its new instance by now, or fails on seeing #closing.
    if (this.#current && this.#current !== instance) await this.#current.stop(o.stopTimeout * 1000);
    this.server.closeAllConnections();
    await serverClosed;
    process.removeListener('exit', this.#onProcessExit);
  }

  async #runPreStop(instance: GatewayInstance): Promise<void> {
    const o = this.options;
    const requestId = newRequestId();
    const started = performance.now();
    try {
      const answer = await exchangeWhole(instance, { method: 'GET', path: '/pre-stop', headers: this.#commonHeaders(requestId, '/pre-stop'), body: EMPTY }, o.preStopTimeout * 1000, this.#maxResponseHead);
      this.printer.line(`PreStop RequestId: ${requestId} answered ${answer.status} in ${(performance.now() - started).toFixed(2)} ms`);
    } catch (error) {
      const message = (error as Error).name === 'TimeoutError' ? `timed out after ${o.preStopTimeout} seconds` : (error as Error).message;
      this.printer.warn(`PreStop RequestId: ${requestId} failed: ${message} (the instance is stopped anyway)`);
    }
  }
}

/**
 * Starts the gateway: listens on `port`, starts the command (or checks `target`), and resolves
 * once the instance accepts connections. Rejects with a `TypeError` for a bad option, an error
 * naming the port when it is taken, or a `StartError` (exit code and output, or the port that
 * never opened) when the instance does not start; nothing is left running then.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const gateway = new Gateway(resolveGatewayOptions(options));
  await gateway.start();
  return gateway;
}
