/**
 * One request from the gateway to the instance, and what its failure means. A request is sent
 * again only when none of it can have reached the container; a lost one is told apart as a
 * process that exited or a connection the server closed.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import { GatewayError } from '../rules/errors.js';
import type { Limits } from '../rules/limits.js';
import type { Instance } from './instance.js';
import { sleep } from './sleep.js';

/** What to send to the instance. */
export interface ExchangeSpec {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** A response read to its end (the Initializer's, PreStop's). */
export interface WholeResponse {
  status: number;
  rawHeaders: string[];
  fcStatus: string | undefined;
  body: Buffer;
}

/** Where a request goes: the instance's address and its keep-alive connections. */
type Upstream = Pick<Instance, 'host' | 'port' | 'agent'>;
/** What tells whether the instance's process exited. */
type Process = Pick<Instance, 'child' | 'exited' | 'exit'>;

/** How long a lost request waits for the process's exit to be reported, ms: the kernel closes a dying process's sockets before its parent hears of the exit. */
const EXIT_GRACE_MS = 500;

const KIB = 1024;
/** The least response head the gateway reads: four times Node's default 16 KiB. */
const MIN_RESPONSE_HEAD_BYTES = 64 * KIB;
/** Room in the head beyond the limit for the status line and the headers stripped before counting. */
const RESPONSE_HEAD_SLACK_BYTES = 16 * KIB;

/**
 * The response head the gateway's parser reads before it gives up. Node's default (16 KiB) makes
 * a longer head a parse error (HPE_HEADER_OVERFLOW) that looks like a lost request; this is set
 * far enough above the response-header limit that the limit, counted after stripping, decides,
 * and a head past even this is refused as over the limit ({@link createHeadOverflowError}).
 */
export function getMaxResponseHeadSize(limits: Limits): number {
  return Math.max(MIN_RESPONSE_HEAD_BYTES, limits.responseHeaders + RESPONSE_HEAD_SLACK_BYTES);
}

/** True for the parse error of a response head longer than the parser reads. */
export function isHeadOverflow(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'HPE_HEADER_OVERFLOW';
}

/** FC's 502 `BadResponse` for a response head the parser stopped reading at `readBytes`. */
export function createHeadOverflowError(readBytes: number, limit: number): GatewayError {
  return new GatewayError('FC_RESPONSE_HEADERS_TOO_LARGE',
    `Response headers are over ${readBytes} bytes (the head, unparsed); the limit is ${limit} bytes`, limit, readBytes);
}

/** `errorType` of an invocation whose connection was lost. */
export type LostRequestType = 'ProcessExited' | 'ConnectionClosed';

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * True when nothing of the request went onto the connection: a keep-alive socket the server had
 * closed is only found out when it is used, and a request that failed before a byte of it was
 * handed to the socket cannot have run. Node reports a connection dropped after the request was
 * delivered (and maybe handled) as ECONNRESET too, so the error code says nothing; the socket's
 * byte count does. `bytesWritten` counts what was handed to the socket, sent or queued, so a
 * doubt means "sent".
 */
function neverSent(socket: Socket | undefined, before: number | undefined): boolean {
  if (socket === undefined || before === undefined) return false;
  const after = socket.bytesWritten as number | undefined;
  return after !== undefined && after === before;
}

/**
 * Sends one request to the instance and resolves at its response's head. On a reused keep-alive
 * connection that failed before any byte of the request was written, it is sent once more on
 * another; never otherwise (RFC 9110 §9.2.2: a request that may have been processed is not
 * repeated), and never a delivered `POST /invoke`. `maxHeaderSize` is the response head the parser
 * accepts (Node's default is 16 KiB).
 */
export function sendToInstance(instance: Upstream, spec: ExchangeSpec, signal: AbortSignal, maxHeaderSize?: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const attempt = (mayRetry: boolean): void => {
      const req = httpRequest({
        host: instance.host,
        port: instance.port,
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
        agent: instance.agent,
        maxHeaderSize,
        signal,
      });
      let socket: Socket | undefined;
      let before: number | undefined;
      let answered = false;
      // 'socket' comes before the request's bytes are flushed onto it.
      req.once('socket', (assigned: Socket) => {
        socket = assigned;
        before = assigned.bytesWritten as number | undefined;
      });
      req.once('response', (res: IncomingMessage) => {
        answered = true;
        resolve(res);
      });
      req.once('error', (error: Error) => {
        if (mayRetry && !answered && !signal.aborted && req.reusedSocket && neverSent(socket, before)) attempt(false);
        else reject(error);
      });
      req.end(spec.body.length > 0 ? spec.body : undefined);
    };
    attempt(true);
  });
}

/**
 * How close to a deadline an answer may be whole and still count as past it. The container is
 * sent the same timeout (`x-fc-function-timeout`, `x-fc-initialization-timeout`) and an
 * fc-container runtime answers the timeout itself at it, so its answer and this gateway's timer
 * are due together. On a loaded machine Node reads the answer (poll phase) before it runs the
 * overdue timer; and both clocks tick in whole milliseconds (libuv's loop time, `Date.now()`),
 * so the answer can even arrive a millisecond before the deadline.
 */
export const TIMER_SLACK_MS = 2;

/**
 * One whole exchange (the Initializer, PreStop) within `timeoutMs`; rejects with a `TimeoutError`
 * past it, and when the answer is whole only at the deadline (`TIMER_SLACK_MS`).
 */
export async function exchangeWhole(instance: Upstream, spec: ExchangeSpec, timeoutMs: number, maxHeaderSize?: number): Promise<WholeResponse> {
  const deadline = performance.now() + timeoutMs - TIMER_SLACK_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  try {
    const res = await sendToInstance(instance, spec, controller.signal, maxHeaderSize);
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    await finished(res);
    if (performance.now() >= deadline) throw new DOMException('timed out', 'TimeoutError');
    return { status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, fcStatus: headerValue(res.headers['x-fc-status']), body: Buffer.concat(chunks) };
  } catch (error) {
    if (controller.signal.aborted) throw new DOMException('timed out', 'TimeoutError');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why a request to the instance got no (whole) answer, once the process had a moment to exit: the process
 * exited (with its code or signal), or it lives and its server closed the connection (a worker of
 * a multi-process server that crashed, a handler that destroyed its socket).
 */
export async function describeLostRequest(instance: Process, error: Error, midAnswer = false): Promise<{ errorType: LostRequestType; message: string }> {
  if (instance.child) await Promise.race([instance.exited, sleep(EXIT_GRACE_MS)]);
  const exit = instance.exit;
  if (exit) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    return { errorType: 'ProcessExited', message: `Process exited unexpectedly before completing request (${how})` };
  }
  const reason = (error as NodeJS.ErrnoException).code ?? error.message;
  const when = midAnswer ? 'before its answer was complete' : 'without answering';
  return { errorType: 'ConnectionClosed', message: `The function's server closed the connection ${when} (${reason})` };
}
