/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), run `preStop` once
 * unless FC already called `GET /pre-stop`, flush stdout, exit.
 */
import type { Server } from 'node:http';
import { getContext } from './async-context.js';
import { closeUnservedConnections, trackConnections } from './connections.js';
import { closeWebSockets, endWebSockets } from './websockets.js';
import { getUtil } from './builtins.js';
import { Context } from './context.js';
import { collectInFlightSecrets } from './known-secrets.js';
import { formatLogLine, redact } from './logger.js';
import { writeMarker, writeOut } from './output.js';
import { createLocalRequestId } from './request-id.js';
import type { Runtime } from './runtime.js';
import { clearInterval, clearTimeout, setInterval, setTimeout } from '../rules/timers.js';

/** How often idle connections are closed while draining (a busy one turns idle when its response ends). */
const IDLE_SWEEP_MS = 25;

/**
 * Drains and closes the server. Resolves to the exit code: 0 when every in-flight request
 * finished within `shutdownTimeoutMs`, 1 when the bound ran out (a line says how many requests
 * were cut off). `preStop` runs after the drain, with its own bound of `shutdownTimeoutMs`.
 */
export async function shutdown(server: Server, runtime: Runtime, reason: string): Promise<number> {
  runtime.draining = true;
  runtime.shutdownController.abort(new DOMException(`Shutting down (${reason})`, 'AbortError'));
  const timeoutMs = runtime.options.shutdownTimeoutMs;
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  // server.close() waits for upgraded sockets, which closeAllConnections() never reaches. It
  // resolves as the last one is destroyed, before that socket's 'close' (which ends its
  // invocation, End marker and all) has run: the drain waits for both.
  const closed = Promise.all([serverClosed, closeWebSockets(runtime)]);
  closeUnservedConnections(server);
  const sweep = setInterval(closeUnservedConnections, IDLE_SWEEP_MS, server);
  let code = 0;
  const drained = await settleWithin(closed, timeoutMs);
  clearInterval(sweep);
  if (!drained) {
    const serving = closeUnservedConnections(server);
    writeOut(`fc-container: shutdown timeout of ${timeoutMs} ms reached; ${serving} request(s) cut off\n`);
    server.closeAllConnections();
    endWebSockets(runtime);
    code = 1;
  }
  const { preStop } = runtime.handlers;
  if (preStop && !runtime.preStopCalled) {
    runtime.preStopCalled = true;
    await runPreStop(runtime, preStop, timeoutMs);
  }
  return code;
}

async function runPreStop(runtime: Runtime, preStop: (context: Context) => unknown, timeoutMs: number): Promise<void> {
  const requestId = createLocalRequestId();
  const context = new Context({
    headers: {},
    res: undefined,
    runtime,
    requestId,
    controlPath: '',
    basePath: '',
    functionTimeout: timeoutMs / 1000,
    startedAt: Date.now(),
  });
  if (runtime.options.markers) writeMarker('PreStop', 'Start', requestId);
  try {
    const finished = await settleWithin(Promise.resolve().then(() => preStop(context)), timeoutMs);
    if (!finished && runtime.shouldLog('error')) {
      writeOut(formatLogLine('error', requestId, [`preStop did not finish within ${timeoutMs} ms`], runtime.logTime));
    }
  } catch (error) {
    if (runtime.shouldLog('error')) writeOut(redact(formatLogLine('error', requestId, [getUtil().inspect(error)], runtime.logTime), context.secrets));
  }
  if (runtime.options.markers) writeMarker('PreStop', 'End', requestId);
}

/** True when `promise` settles within `ms`, false when the time runs out first. A rejection counts as settled and is rethrown. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(resolve, ms, false); });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * On SIGTERM or SIGINT, runs {@link shutdown} and exits with its code once stdout has flushed.
 * A second signal while draining exits at once with code 1.
 *
 * An exception thrown outside any handler's call chain (a stray timer, a promise nobody awaited)
 * leaves the process in a state nobody knows: it is logged in FC's format, with the request id
 * when `asyncContext` can tell which request's code threw (else `-`), scrubbed of the secrets of
 * that request, of every request in flight and of the environment; then the
 * server shuts down as for SIGTERM (in-flight requests finish, bounded) and exits 1, so FC
 * replaces the instance. A handler's own throw or rejection never gets here: the runtime answers
 * it as the function's error.
 */
export function installSignalHandlers(server: Server, runtime: Runtime): void {
  trackConnections(server);
  let stopping = false;
  const stop = (reason: string, forcedCode?: number): void => {
    if (stopping) {
      if (forcedCode === undefined) process.exit(1);
      return;
    }
    stopping = true;
    shutdown(server, runtime, reason).then((code) => exitAfterFlush(forcedCode ?? code), (error: unknown) => {
      writeOut(`fc-container: shutdown failed: ${getUtil().inspect(error)}\n`);
      exitAfterFlush(1);
    });
  };
  const onFatal = (error: unknown): void => {
    const context = getContext();
    // Whichever request's code threw, its message may carry any in-flight request's keys.
    const secrets = (context ? context.secrets : runtime.environmentSecrets).concat(collectInFlightSecrets(server));
    writeOut(redact(formatLogLine('error', context?.requestId ?? '-', [
      `Uncaught exception outside a handler; shutting down: ${getUtil().inspect(error)}`,
    ], runtime.logTime), secrets));
    stop('uncaught exception', 1);
  };
  // Node calls signal listeners with (signal, number): pass the name only.
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
}

function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
