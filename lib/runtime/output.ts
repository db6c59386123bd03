/**
 * The one sink for everything the runtime prints on stdout, and the batching of FC's request
 * markers (`FC Invoke Start RequestId: …` / `… End …`).
 *
 * A write to stdout costs a syscall and a trip through Node's stream machinery, about as much as
 * serving a small request, and every request has two markers. So markers are appended to a
 * pending batch and written once per event-loop turn (`setImmediate`), keeping every guarantee of
 * one write per marker:
 * - Start before the handler's own output: `process.stdout.write` and `process.stderr.write`
 *   (which `console.*` use) write the pending batch first.
 * - End after the handler's output, and on stdout before the response leaves: a response's final
 *   write waits (in this same turn) until the batch holding its End marker has been written.
 *   Corking the socket would not hold it: `OutgoingMessage.end()` fully uncorks the socket
 *   (lib/_http_outgoing.js). Writes to files and pipes are synchronous on Linux (Node docs, "A note
 *   on process I/O"), so when FC freezes the instance after the response, no marker is pending.
 * - Nothing lost at exit: the batch is written in an `'exit'` listener.
 * - A WebSocket connection's markers, which no response waits on, may wait up to
 *   {@link MARKER_LINGER_MS} for a shared write (`queueMarker`); the last open connection's End
 *   marker goes out in the turn it closed.
 * - Bounded when stdout is slow: a pipe read slowly (FC's log agent under a flood) fills, and Node
 *   then buffers every further write in memory. While stdout holds unwritten bytes, final writes
 *   keep waiting, and go out once it has drained: responses slow to the pace of the log reader,
 *   and the buffer holds at most what the requests in flight printed. No marker of an answered
 *   request is ever left in memory.
 * Output written to file descriptor 1 without `process.stdout` (`fs.writeSync(1, …)`, a logger
 * with its own fd stream) bypasses the first rule: its lines may come before the Start marker.
 */
import { ServerResponse } from 'node:http';
import { getContext } from './async-context.js';
import { collectResponseSecrets } from './known-secrets.js';
import type { MarkerKind } from './logger.js';
import { redact } from '../rules/redact.js';
import { setImmediate, setTimeout } from '../rules/timers.js';

type Write = (this: NodeJS.WriteStream, ...args: unknown[]) => boolean;

let pending = '';
let scheduled = false;
/** The final writes waiting for the batch, flat: sender, response, argument, argument, ... */
const deferred: unknown[] = [];
let nativeStdoutWrite: Write | undefined;
/** stdout has bytes Node could not hand to the pipe yet: final writes wait for them to drain. */
let backlogged = false;

/**
 * Writes on stdout at once, after any pending markers, bypassing the wrapper. A write to a full
 * pipe is buffered by Node (`writableLength` stays above 0 after it): the first such write marks
 * stdout backlogged until an empty write queued behind it calls back, which Node does once
 * everything before it has reached the pipe.
 */
function writeNow(text: string): void {
  if (nativeStdoutWrite === undefined) installHooks();
  const stdout = process.stdout;
  nativeStdoutWrite!.call(stdout, text);
  if (!backlogged && stdout.writableLength > 0) {
    backlogged = true;
    nativeStdoutWrite!.call(stdout, '', onStdoutDrained);
  }
}

function onStdoutDrained(): void {
  backlogged = false;
  flushMarkers();
}

/**
 * Wraps `process.stdout.write` and `process.stderr.write` so pending markers go first, and writes
 * the batch at exit. Once per process; the wrappers cost one check per call when nothing is
 * pending.
 */
function installHooks(): void {
  nativeStdoutWrite = process.stdout.write as unknown as Write;
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write as unknown as Write;
    stream.write = function writeAfterMarkers(this: NodeJS.WriteStream, chunk: unknown): boolean {
      if (interceptor !== undefined && interceptWrite(interceptor, chunk, arguments)) return true;
      if (pending !== '') flushMarkers();
      // eslint-disable-next-line prefer-rest-params -- forward write()'s overloads untouched
      return original.apply(this, arguments as unknown as unknown[]);
    } as NodeJS.WriteStream['write'];
  }
  process.on('exit', flushMarkers);
}

/**
 * Takes the output of the invocations a testing client made (lib/testing/): each marker and log
 * line of an invocation goes to it instead of stdout. `requestId` is the invocation's; a method
 * returns false to leave the output to stdout.
 */
export interface OutputInterceptor {
  marker(line: string, requestId: string): boolean;
  text(text: string, requestId: string): boolean;
}

/** The interceptor, set only by the testing client: production pays one `undefined` check per write. */
let interceptor: OutputInterceptor | undefined;

/**
 * Sets (or, with `undefined`, removes) the process's {@link OutputInterceptor}. Writes on
 * `process.stdout`/`process.stderr` made inside an invocation (found through `getContext()`, so
 * the testing client's servers enable `asyncContext`) reach it too.
 * @internal For `fc-container/testing`.
 */
export function interceptOutput(next: OutputInterceptor | undefined): void {
  if (next !== undefined && nativeStdoutWrite === undefined) installHooks();
  interceptor = next;
}

/** A handler's own write on stdout or stderr, taken when it belongs to an intercepted invocation. */
function interceptWrite(target: OutputInterceptor, chunk: unknown, args: IArguments): boolean {
  const requestId = getContext()?.requestId;
  if (requestId === undefined) return false;
  const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
  if (!target.text(text, requestId)) return false;
  // write(chunk, [encoding], callback): the callback still runs, as after a real write.
  const callback = args[args.length - 1];
  if (typeof callback === 'function') setImmediate(callback as () => void);
  return true;
}

/**
 * Writes text on stdout now (after any pending markers). For the runtime's own log lines;
 * `requestId` names the invocation they are about, when there is one.
 */
export function writeOut(text: string, requestId?: string): void {
  if (interceptor !== undefined && requestId !== undefined && interceptor.text(text, requestId)) return;
  if (pending !== '') {
    text = pending + text;
    pending = '';
  }
  writeNow(text);
}

/** The common markers' text before the id, built once: each piece added to a string is one more string for the collector. */
const INVOKE_START = 'FC Invoke Start RequestId: ';
const INVOKE_END = 'FC Invoke End RequestId: ';

function markerPrefix(kind: MarkerKind, phase: 'Start' | 'End'): string {
  if (kind === 'Invoke') return phase === 'Start' ? INVOKE_START : INVOKE_END;
  return 'FC ' + kind + ' ' + phase + ' RequestId: ';
}

/** Adds a marker to the pending batch; false when the testing client's interceptor took it instead. */
function appendMarker(kind: MarkerKind, phase: 'Start' | 'End', requestId: string): boolean {
  if (interceptor !== undefined && interceptor.marker(markerPrefix(kind, phase) + requestId, requestId)) return false;
  if (nativeStdoutWrite === undefined) installHooks();
  pending += markerPrefix(kind, phase) + requestId + '\n';
  return true;
}

/** Queues one of FC's request markers, e.g. `FC Invoke Start RequestId: 1-abc`, for this turn's batch. */
export function writeMarker(kind: MarkerKind, phase: 'Start' | 'End', requestId: string): void {
  if (!appendMarker(kind, phase, requestId)) return;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushMarkers);
  }
}

/**
 * How long the markers of an invocation no response waits on (a WebSocket connection's) may wait
 * to share a write, and how much may wait. A write made now and then costs far more than one made
 * back to back: on the bench machine a 4.7 KB write to a file every 12 ms took 90-108 us, against
 * 7 us in a loop (a write to /dev/null after 12 ms of other work 28.6 us, against 0.56 us). At a
 * few thousand handshakes a second, waiting 100 ms rather than 10 ms measured 0.96x the server's
 * CPU per handshake (bench: websocket, the two builds loaded at once).
 */
export const MARKER_LINGER_MS = 100;
export const MARKER_LINGER_BYTES = 64 * 1024;
let lingering = false;

/**
 * Queues a marker like {@link writeMarker}, but lets the batch wait up to
 * {@link MARKER_LINGER_MS} for more: for invocations no response waits on (WebSocket
 * connections). Every ordering rule still holds (other output, a response's final write and the exit
 * write the batch first). `last` says the instance is going idle (the last open connection
 * closed): the batch goes out this turn, as FC may freeze the instance then.
 */
export function queueMarker(kind: MarkerKind, phase: 'Start' | 'End', requestId: string, last = false): void {
  if (last || pending.length >= MARKER_LINGER_BYTES) {
    writeMarker(kind, phase, requestId);
    return;
  }
  if (!appendMarker(kind, phase, requestId)) return;
  if (!scheduled && !lingering) {
    lingering = true;
    setTimeout(flushLingering, MARKER_LINGER_MS);
  }
}

function flushLingering(): void {
  lingering = false;
  if (pending !== '') flushMarkers();
}

/** Sends a response's final write; `a` and `b` are its own arguments. */
export type Sender<A, B> = (res: ServerResponse, a: A, b: B) => void;

/**
 * Runs `sender(res, a, b)` once the pending markers are written: at once when none are pending,
 * else right after this turn's batch. Call it for a response's final write after queueing its End
 * marker. The arguments are stored flat, so deferring allocates nothing per response.
 */
export function sendAfterMarkers<A, B>(sender: Sender<A, B>, res: ServerResponse, a: A, b: B): void {
  if (pending === '' && !backlogged) {
    sender(res, a, b);
    return;
  }
  deferred.push(sender, res, a, b);
  // What is pending may be only lingering markers (queueMarker) with no batch due this turn.
  if (!scheduled && !backlogged) {
    scheduled = true;
    setImmediate(flushMarkers);
  }
}

/** Writes the pending markers in one write, then sends the responses that waited for them. */
export function flushMarkers(): void {
  scheduled = false;
  if (pending !== '') {
    const text = pending;
    pending = '';
    writeNow(text);
  }
  // Held until stdout drains (onStdoutDrained flushes again).
  if (deferred.length === 0 || backlogged) return;
  const batch = deferred.splice(0, deferred.length);
  for (let i = 0; i < batch.length; i += 4) {
    const res = batch[i + 1] as ServerResponse;
    try {
      (batch[i] as Sender<unknown, unknown>)(res, batch[i + 2], batch[i + 3]);
    } catch (error) {
      // One response failing to go out must not hold up the others, nor leave its client waiting
      // for an answer that will never come: its connection is closed.
      writeNow(redact(`fc-container: a response could not be sent; its connection is closed: ${String((error as Error)?.stack ?? error)}\n`, collectResponseSecrets(res)));
      destroyResponse.call(res);
    }
  }
}

/** Node's own `destroy`: a handler's response may carry an override that ignores late calls. */
const destroyResponse = ServerResponse.prototype.destroy;
