/**
 * The gateway side of FC's contract, run locally: FC's invocation APIs and HTTP trigger in front of
 * one function instance (a command it starts, or a server already running), with FC's limits and
 * header rules (lib/rules/), the Initializer, the function timeout, instance concurrency, PreStop,
 * and a summary line per invocation. This file holds the public class; each concern has its own
 * module: supervisor.ts (instances), requests.ts (arrival to dispatch), forward.ts (upstream),
 * respond.ts (the answer's rules), initializer.ts, reports.ts, shutdown.ts.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { answerClientError } from '../rules/client-error.js';
import { FC_COMMON_ERROR } from '../rules/errors.js';
import { getMaxHeaderSize } from '../rules/limits.js';
import { AsyncEvents, type AsyncEventRecord } from './async-events.js';
import { runAsyncAttempt } from './async-invocation.js';
import type { Call } from './call.js';
import { getMaxResponseHeadSize } from './exchange.js';
import { newRequestId } from './ids.js';
import { InvocationLogs } from './log-tail.js';
import { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
import { Printer } from './output.js';
import { Slots } from './queue.js';
import type { ColdStart } from './reports.js';
import { onRequest } from './requests.js';
import { stopGateway } from './shutdown.js';
import { onGatewayUpgrade } from './websocket.js';
import type { GatewayState } from './state.js';
import { startInstance } from './supervisor.js';

/** A started gateway. Emits `'ready'`, `'initialize'`, `'invocation'`, `'restart'` and `'exit'`. */
export class Gateway extends EventEmitter {
  readonly options: ResolvedGatewayOptions;
  readonly server: Server;
  readonly printer: Printer;
  #port = 0;
  readonly #state: GatewayState;

  constructor(options: ResolvedGatewayOptions) {
    super();
    this.options = options;
    this.printer = new Printer(options.stdout, options.stderr);
    this.server = createServer({
      maxHeaderSize: getMaxHeaderSize(options.limits),
      requestTimeout: 0,
      headersTimeout: 30_000,
      keepAliveTimeout: 5_000,
      noDelay: true,
    }, (req, res) => onRequest(this.#state, req, res, false));
    const state: GatewayState = {
      options,
      printer: this.printer,
      server: this.server,
      slots: new Slots(options.concurrency),
      served: {
        functionName: options.functionName, serviceName: options.serviceName, customDomain: options.customDomain, profile: options.profile.name,
      },
      warned: new Set<string>(),
      maxResponseHead: getMaxResponseHeadSize(options.limits),
      current: undefined,
      starting: undefined,
      closing: undefined,
      saidAddressUnknown: false,
      saidNoLogTail: false,
      logs: new InvocationLogs(),
      relays: new Set(),
      async: new AsyncEvents<Call>((record, call, retryCount) => runAsyncAttempt(state, record, call, retryCount), options.asyncRetries, options.asyncBackoff),
      emit: (event, ...args) => this.emit(event, ...args),
      onProcessExit: (): void => { state.current?.killNow(); },
    };
    this.#state = state;
    this.server.on('checkContinue', (req, res) => onRequest(this.#state, req, res, true));
    this.server.on('upgrade', (req, socket, head: Buffer) => { void onGatewayUpgrade(this.#state, req, socket, head); });
    this.server.on('clientError', (error: Error & { code?: string }, socket) => {
      answerClientError(error, socket, { 'x-fc-request-id': newRequestId(options.profile.name), 'x-fc-error-type': FC_COMMON_ERROR });
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
    const current = this.#state.current;
    return current && { id: current.id, pid: current.pid, port: current.port };
  }

  /** The current instance's cold start: spawn to port open, and the Initializer. */
  get coldStart(): ColdStart | undefined {
    const current = this.#state.current;
    return current && { instanceId: current.id, readyMs: current.readyMs, initializerMs: current.initializerMs };
  }

  /** Every asynchronous event taken in so far, with its attempts and its state (`succeeded`, `failed`, `dropped`, ...). */
  get asyncEvents(): readonly AsyncEventRecord[] {
    return this.#state.async.records;
  }

  /** Resolves once no asynchronous event is delayed, queued, running or waiting for a retry. */
  whenAsyncIdle(): Promise<void> {
    return this.#state.async.whenIdle();
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
    process.on('exit', this.#state.onProcessExit);
    try {
      this.#state.starting = startInstance(this.#state);
      await this.#state.starting;
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      this.#state.starting = undefined;
    }
  }

  /**
   * Stops: refuses new requests, lets those inside finish (up to `stopTimeout`), sends
   * `GET /pre-stop` (with `preStop`), then SIGTERM to the command and SIGKILL after `stopTimeout`,
   * and closes the server. Idempotent; the process can exit once it resolves.
   */
  close(): Promise<void> {
    this.#state.closing ??= stopGateway(this.#state);
    return this.#state.closing;
  }

  /** Kills the command at once (a second Ctrl-C). */
  kill(): void {
    this.#state.current?.killNow();
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
