/**
 * The context handed to every handler: FC's common request headers in the shape of FC's built-in
 * Node.js runtime, plus the deadline, an abort signal and a logger. Built per request, cheaply:
 * each group of fields is read from the headers on first access only.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { REDACTED, RequestLogger, type Logger, type LogThreshold } from './logger.js';
import type { LogTimeFormat } from './log-format.js';

/** The key of a context's log time stamp, read by `formatConsole` (console.ts). */
export const kLogTime = Symbol('fc-container.logTime');

/** The level below which `formatConsole` drops a `console.*` line; undefined: none dropped. The runtime's, not part of the API. */
export const kConsoleThreshold = Symbol('fc-container.consoleThreshold');

/** Aborts a context's signal, if a handler created it; the runtime's, not part of the API. */
export const kAbort = Symbol('fc-container.abort');

/** The function role's temporary keys. The secret and the token are hidden from inspection. */
export class Credentials {
  readonly accessKeyId: string;
  readonly #accessKeySecret: string;
  readonly #securityToken: string;

  constructor(accessKeyId: string, accessKeySecret: string, securityToken: string) {
    this.accessKeyId = accessKeyId;
    this.#accessKeySecret = accessKeySecret;
    this.#securityToken = securityToken;
  }

  /** Readable by the handler; never printed by `console.log`, `util.inspect` or `JSON.stringify`. */
  get accessKeySecret(): string { return this.#accessKeySecret; }
  get securityToken(): string { return this.#securityToken; }

  toJSON(): Record<string, string> {
    return {
      accessKeyId: this.accessKeyId,
      accessKeySecret: this.#accessKeySecret ? REDACTED : '',
      securityToken: this.#securityToken ? REDACTED : '',
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, string> {
    return this.toJSON();
  }
}

/** `x-fc-function-*` headers. Numbers are 0 when the header is absent. */
export interface FunctionMeta {
  name: string;
  handler: string;
  /** Memory in MB. */
  memory: number;
  /** Timeout in seconds. */
  timeout: number;
  initializer: string;
  /** Initializer timeout in seconds. */
  initializationTimeout: number;
}

/** `x-fc-service-*`, `x-fc-qualifier` and `x-fc-version-id`; empty on FC 3.0, which has no services. */
export interface ServiceMeta {
  name: string;
  logProject: string;
  logStore: string;
  qualifier: string;
  versionId: string;
}

/** `x-fc-tracing-*` headers. */
export interface TracingMeta {
  spanContext: string;
  jaegerEndpoint: string;
  spanBaggages: string;
}

/** What a {@link Context} needs from the runtime. */
export interface ContextRuntime {
  readonly logThreshold: LogThreshold;
  /** The profile's log time stamp. */
  readonly logTime: LogTimeFormat;
  /** The level `formatConsole` filters `console.*` lines by; undefined: none dropped. */
  readonly consoleThreshold: LogThreshold | undefined;
  readonly environmentSecrets: readonly string[];
  /** Aborted when the server starts shutting down. */
  readonly shutdownSignal: AbortSignal;
}

/** The per-request facts the runtime has read before building a {@link Context}. */
export interface ContextSource {
  /** The request headers as FC sent them. */
  readonly headers: IncomingHttpHeaders;
  /**
   * The response (or an upgraded connection's socket), whose early close aborts `signal`; absent
   * for a hook run at shutdown.
   */
  readonly res: { once(event: 'close', listener: () => void): unknown; readonly writableFinished: boolean } | undefined;
  readonly runtime: ContextRuntime;
  readonly requestId: string;
  readonly controlPath: string;
  readonly basePath: string;
  /** Seconds; 0 for none. */
  readonly functionTimeout: number;
  /** `Date.now()` when the request arrived. */
  readonly startedAt: number;
}

/**
 * The context of one request. Strings are `''` and numbers `0` for a header FC did not send, so a
 * local request never crashes a handler. `accountId`, `service.versionId` and `service.qualifier`
 * stay strings, as in FC's built-in runtime.
 */
export class Context {
  /** `x-fc-request-id`, or a generated id for a local request without one. */
  readonly requestId: string;
  /** `x-fc-control-path` as sent (`/invoke`, `/initialize`, `/http-invoke`), `''` for a local request. */
  readonly controlPath: string;
  /** The default domain's path prefix (`/2016-08-15/proxy/<service>/<function>/`), `''` on a custom domain. */
  readonly basePath: string;

  readonly #source: ContextSource;
  #credentials: Credentials | undefined;
  #function: FunctionMeta | undefined;
  #service: ServiceMeta | undefined;
  #tracing: TracingMeta | undefined;
  #logger: Logger | undefined;
  #secrets: readonly string[] | undefined;
  #controller: AbortController | undefined;

  constructor(source: ContextSource) {
    this.#source = source;
    this.requestId = source.requestId;
    this.controlPath = source.controlPath;
    this.basePath = source.basePath;
  }

  #header(name: string): string {
    const value = this.#source.headers[name];
    return typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : '';
  }

  #number(name: string): number {
    const value = Number(this.#header(name));
    return Number.isFinite(value) ? value : 0;
  }

  get credentials(): Credentials {
    return this.#credentials ??= new Credentials(
      this.#header('x-fc-access-key-id'),
      this.#header('x-fc-access-key-secret'),
      this.#header('x-fc-security-token'),
    );
  }

  get function(): FunctionMeta {
    return this.#function ??= {
      name: this.#header('x-fc-function-name'),
      handler: this.#header('x-fc-function-handler'),
      memory: this.#number('x-fc-function-memory'),
      timeout: this.#number('x-fc-function-timeout'),
      initializer: this.#header('x-fc-function-initializer'),
      initializationTimeout: this.#number('x-fc-initialization-timeout'),
    };
  }

  get service(): ServiceMeta {
    return this.#service ??= {
      name: this.#header('x-fc-service-name'),
      logProject: this.#header('x-fc-service-logproject'),
      logStore: this.#header('x-fc-service-logstore'),
      qualifier: this.#header('x-fc-qualifier'),
      versionId: this.#header('x-fc-version-id'),
    };
  }

  get tracing(): TracingMeta {
    return this.#tracing ??= {
      spanContext: this.#header('x-fc-tracing-opentracing-span-context'),
      jaegerEndpoint: this.#header('x-fc-tracing-jaeger-endpoint'),
      spanBaggages: this.#header('x-fc-tracing-opentracing-span-baggages'),
    };
  }

  get region(): string { return this.#header('x-fc-region'); }
  get accountId(): string { return this.#header('x-fc-account-id'); }
  /** `x-fc-retry-count` (asynchronous invocations); 0 when absent. */
  get retryCount(): number { return this.#number('x-fc-retry-count'); }
  /** The calling client's address as FC saw it (`x-fc-client-ip`). */
  get clientIp(): string { return this.#header('x-fc-client-ip'); }

  /** FC's log format with this request's id: `<time> <requestId> [info] <message>`. */
  get logger(): Logger {
    return this.#logger ??= new RequestLogger(this.requestId, this.#source.runtime.logThreshold, this.secrets, this.#source.runtime.logTime);
  }

  /**
   * When the function times out, in epoch ms (`x-fc-function-timeout` after arrival);
   * `Infinity` when FC sent no timeout.
   */
  get deadline(): number {
    const timeout = this.#source.functionTimeout;
    return timeout > 0 ? this.#source.startedAt + timeout * 1000 : Infinity;
  }

  /** Milliseconds left before {@link deadline}; `Infinity` without a timeout, never below 0. */
  remainingTimeMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /**
   * Aborts at the deadline (reason: a `TimeoutError` DOMException), when the client goes away
   * before the response finished, and when the server starts shutting down. Created on first
   * access, so a handler that never reads it costs no timer.
   */
  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    const { res, runtime } = this.#source;
    if (runtime.shutdownSignal.aborted) {
      controller.abort(runtime.shutdownSignal.reason);
      return controller.signal;
    }
    const onShutdown = (): void => controller.abort(runtime.shutdownSignal.reason);
    runtime.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    // At the deadline the runtime's own timer answers first and then aborts this signal
    // (function-timeout.ts, websockets.ts): a timer of its own here could fire first, and a handler
    // that returns when told to stop would have its late result sent as a success. Read after
    // the deadline, it is aborted at once.
    if (this.remainingTimeMs() === 0) {
      controller.abort(new DOMException(`Function timed out after ${this.#source.functionTimeout} seconds`, 'TimeoutError'));
    }
    res?.once('close', () => {
      if (!res.writableFinished) controller.abort(new DOMException('The client went away', 'AbortError'));
      runtime.shutdownSignal.removeEventListener('abort', onShutdown);
    });
    return controller.signal;
  }

  /** Aborts {@link signal} if it was created; a no-op otherwise (nobody is listening). */
  [kAbort](reason: unknown): void {
    this.#controller?.abort(reason);
  }

  /**
   * The secret values this request carries (the role's key secret and token, from the headers and
   * the environment), which the runtime scrubs from everything it prints.
   */
  get secrets(): readonly string[] {
    if (this.#secrets) return this.#secrets;
    const own = [this.#header('x-fc-access-key-secret'), this.#header('x-fc-security-token')].filter(Boolean);
    const fromEnv = this.#source.runtime.environmentSecrets;
    return this.#secrets = own.length === 0 ? fromEnv : own.concat(fromEnv);
  }

  /** The runtime's log time stamp, for `formatConsole` (a symbol key: not part of the API). */
  get [kLogTime](): LogTimeFormat {
    return this.#source.runtime.logTime;
  }

  get [kConsoleThreshold](): LogThreshold | undefined {
    return this.#source.runtime.consoleThreshold;
  }

  /** A plain copy for `JSON.stringify`, secrets redacted. */
  toJSON(): Record<string, unknown> {
    return {
      requestId: this.requestId,
      controlPath: this.controlPath,
      basePath: this.basePath,
      credentials: this.credentials.toJSON(),
      function: this.function,
      service: this.service,
      region: this.region,
      accountId: this.accountId,
      tracing: this.tracing,
      deadline: this.deadline,
    };
  }

  /** What `console.log(context)` and `util.inspect` show: the same as `toJSON`. */
  [Symbol.for('nodejs.util.inspect.custom')](): Record<string, unknown> {
    return this.toJSON();
  }
}
