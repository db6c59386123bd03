/**
 * The state one server shares across its requests: handlers, options, the Initializer gate, and
 * whether it is shutting down.
 */
import type { OpenConnection } from './websockets.js';
import type { AsyncLocalStorage } from 'node:async_hooks';
import { getContextStorage } from './async-context.js';
import type { Context, ContextRuntime } from './context.js';
import type { Handlers, HttpHandler } from './handlers.js';
import type { IncomingMessage } from 'node:http';
import { BodyWatch } from './body-timeout.js';
import { getEvents } from './builtins.js';
import { InitializeGate } from './initialize.js';
import { formatIsoTime, formatSpacedTime, type LogTimeFormat } from './log-format.js';
import { isLevelEnabled, readEnvironmentSecrets, type LogLevel, type LogThreshold } from './logger.js';
import type { ResolvedOptions } from './options.js';

/**
 * The controller whose signal every `context.signal` follows. Each request reading its signal adds
 * one listener, removed when the response closes, so the default limit of 10 would raise a false
 * "possible memory leak" warning at ordinary concurrency.
 */
function createShutdownController(): AbortController {
  const controller = new AbortController();
  getEvents().setMaxListeners(0, controller.signal);
  return controller;
}

/** One server's shared state. */
export class Runtime implements ContextRuntime {
  readonly options: ResolvedOptions;
  readonly handlers: Handlers;
  readonly gate: InitializeGate | undefined;
  /** The HTTP function in Node style: `http` itself, or `fetch` behind its adapter. */
  httpHandler: HttpHandler | undefined;
  readonly logThreshold: LogThreshold;
  readonly environmentSecrets: readonly string[];
  #shutdownController: AbortController | undefined;
  /** Set when shutdown begins: responses close their connections. */
  draining = false;
  /** FC called `GET /pre-stop` already, so shutdown does not run `preStop` again. */
  preStopCalled = false;
  /** Response header names the runtime has warned about (once each). */
  readonly warnedHeaders = new Set<string>();
  /** Where handlers run when `asyncContext` is on, so `getContext()` finds their context. */
  readonly storage: AsyncLocalStorage<Context> | undefined;
  /** Watches bodies still arriving, for `bodyTimeoutMs`. */
  readonly bodyWatch: BodyWatch;
  /** The profile's request headers an HTTP function never sees, and their names' lengths (the scan's pre-check). */
  readonly hiddenRequestHeaders: ReadonlySet<string>;
  readonly hiddenNameLengths: ReadonlySet<number>;
  /** The same, but for a WebSocket handshake, whose own `Connection` and `Upgrade` reach the app. */
  readonly hiddenUpgradeHeaders: ReadonlySet<string>;
  readonly hiddenUpgradeNameLengths: ReadonlySet<number>;
  /** The open WebSocket connections (websockets.ts), closed by the runtime at shutdown. */
  readonly websockets = new Set<OpenConnection>();
  /** The profile's response headers a function cannot set (besides `x-fc-*` but `x-fc-status`). */
  readonly forbiddenResponseHeaders: ReadonlySet<string>;
  /** The profile's log time stamp (log-format.ts). */
  readonly logTime: LogTimeFormat;
  /**
   * The level `formatConsole` filters `console.*` lines by: under fc3 the log level, as FC 3.0's
   * Node.js runtime filters `console.log` by `ALIYUN_FC_LOG_LEVEL` (its "Logging" page,
   * https://help.aliyun.com/zh/functioncompute/user-guide/logging); under fc2 none, as before.
   */
  readonly consoleThreshold: LogThreshold | undefined;

  constructor(
    handlers: Handlers,
    options: ResolvedOptions,
    httpHandler: HttpHandler | undefined,
    onBodyStall: (req: IncomingMessage) => void,
  ) {
    this.handlers = handlers;
    this.options = options;
    this.gate = handlers.initialize ? new InitializeGate(handlers.initialize) : undefined;
    this.httpHandler = httpHandler;
    this.logThreshold = options.logLevel;
    this.environmentSecrets = readEnvironmentSecrets();
    this.storage = options.asyncContext ? getContextStorage() : undefined;
    this.bodyWatch = new BodyWatch(options.bodyTimeoutMs, onBodyStall);
    // Resolved once per server, so the hot path reads fields and allocates nothing for the profile.
    const { profile } = options;
    this.hiddenRequestHeaders = profile.hiddenRequestHeaders;
    this.hiddenNameLengths = new Set([...profile.hiddenRequestHeaders].map((name) => name.length));
    this.hiddenUpgradeHeaders = new Set([...profile.hiddenRequestHeaders].filter((name) => name !== 'connection' && name !== 'upgrade'));
    this.hiddenUpgradeNameLengths = new Set([...this.hiddenUpgradeHeaders].map((name) => name.length));
    this.forbiddenResponseHeaders = profile.forbiddenResponseHeaders;
    this.logTime = profile.name === 'fc3' ? formatSpacedTime : formatIsoTime;
    this.consoleThreshold = profile.name === 'fc3' ? options.logLevel : undefined;
  }

  /** Made on first use (a handler reading `context.signal`, or shutdown), not at cold start. */
  get shutdownController(): AbortController {
    return this.#shutdownController ??= createShutdownController();
  }

  get shutdownSignal(): AbortSignal {
    return this.shutdownController.signal;
  }

  shouldLog(level: LogLevel): boolean {
    return isLevelEnabled(this.logThreshold, level);
  }
}
