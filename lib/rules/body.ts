/**
 * Request bodies under FC's body limit, in the three steps of a streaming counter: refuse a
 * `content-length` over the limit before reading, count while streaming and stop at the limit,
 * and, for a refused request, drain what is still coming for a bounded time so the client reads
 * its 400 instead of a connection reset.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import { LimitError } from './errors.js';
import { clearTimeout, setTimeout } from './timers.js';

/** How long a refused request's remaining body is read and thrown away before the socket is closed. */
export const DRAIN_TIMEOUT_MS = 10_000;

const EMPTY_BODY = Buffer.alloc(0);

/** `Readable.prototype.push`, reached through `node:http` (already loaded) rather than `node:stream`. */
const pushToStream = IncomingMessage.prototype.push;

/** The error for a body over `limit`; `size` is what was counted when the count stopped. */
export function createBodyLimitError(limit: number, size: number, declared: boolean): LimitError {
  const message = declared
    ? `Request body is ${size} bytes (content-length); the limit is ${limit} bytes`
    : `Request body exceeds the limit of ${limit} bytes (${size} bytes received before it was refused)`;
  return new LimitError('FC_BODY_TOO_LARGE', message, limit, size);
}

/** Called once with the whole body, or with the error that ended the read. */
export type BodyCallback<T> = (owner: T, error: Error | null, body: Buffer) => void;

const kBodyState = Symbol('fc-container.body');

interface BodyState<T> {
  owner: T;
  done: BodyCallback<T>;
  limit: number;
  received: number;
  chunks: Buffer[];
  settled: boolean;
}

type BodyRequest = IncomingMessage & { [kBodyState]?: BodyState<unknown> };

/**
 * Reads a whole request body into one `Buffer`, counting bytes as they stream and stopping the
 * moment the count passes `limit` (what was read is dropped; nothing past the limit is kept).
 * The listeners are shared functions reading their state from the request, so a read allocates
 * no closures. A request that ends early (client gone) reports an `Error` with code `ECONNRESET`.
 */
export function readBody<T>(req: IncomingMessage, limit: number, owner: T, done: BodyCallback<T>): void {
  const state: BodyState<T> = { owner, done, limit, received: 0, chunks: [], settled: false };
  (req as BodyRequest)[kBodyState] = state as BodyState<unknown>;
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('close', onBodyClose);
}

/** Ends a {@link readBody} still in progress with `error` (its callback hears it); a no-op otherwise. */
export function abortBody(req: IncomingMessage, error: Error): void {
  const state = (req as BodyRequest)[kBodyState];
  if (state && !state.settled) settle(req as BodyRequest, error, EMPTY_BODY);
}

function settle(req: BodyRequest, error: Error | null, body: Buffer): void {
  const state = req[kBodyState]!;
  if (state.settled) return;
  state.settled = true;
  state.chunks = [];
  req.removeListener('data', onBodyData);
  state.done(state.owner, error, body);
}

function onBodyData(this: BodyRequest, chunk: Buffer): void {
  const state = this[kBodyState]!;
  state.received += chunk.length;
  if (state.received > state.limit) {
    settle(this, createBodyLimitError(state.limit, state.received, false), EMPTY_BODY);
    return;
  }
  state.chunks.push(chunk);
}

function onBodyEnd(this: BodyRequest): void {
  const state = this[kBodyState]!;
  const { chunks } = state;
  settle(this, null, chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY_BODY : Buffer.concat(chunks, state.received));
}

function onBodyClose(this: BodyRequest): void {
  if (this[kBodyState]!.settled) return;
  const error = Object.assign(new Error('The client closed the connection before the body was complete'), { code: 'ECONNRESET' });
  settle(this, error, EMPTY_BODY);
}

const kDrain = Symbol('fc-container.drain');
type DrainRequest = IncomingMessage & { [kDrain]?: { timer: NodeJS.Timeout; res: ServerResponse } };

/**
 * Calls `then(req, arg)` once `res` has been written out to the socket, on the next tick if it
 * already has (`'finish'` comes when the last chunk was handed to the socket). The runtime's answer may be
 * held behind FC's markers (output.ts); whatever would end or destroy the connection waits for it.
 * If the connection closes first, `then` is not called: nobody is left to answer.
 */
export function whenWritten<A>(res: ServerResponse, then: (req: IncomingMessage, arg: A) => void, req: IncomingMessage, arg: A): void {
  if (res.writableFinished) process.nextTick(then, req, arg);
  else res.once('finish', () => then(req, arg));
}

/**
 * Keeps a refused request's connection open after its response (sent with `connection: close`),
 * so the rest of the body can be drained. Node quirk: `_storeHeader()` marks such a response
 * `_last`, and `resOnFinish()` then calls `socket.destroySoon()` as soon as the response is
 * written, while the client is still uploading; closing a socket with unread data makes the
 * kernel send RST, and the client loses the response (lib/_http_server.js).
 */
export function holdConnectionOpen(res: ServerResponse): void {
  (res as ServerResponse & { _last?: boolean })._last = false;
}

/**
 * Reads and throws away what is left of a refused request's body, then ends the connection
 * gracefully once the response is out; if the body has not ended within {@link DRAIN_TIMEOUT_MS},
 * destroys the socket. Call it right after sending the refusal with `connection: close`. With
 * `halfClose`, the connection is also half-closed as soon as the response is out (for a client
 * that may be waiting to send, as after `Expect: 100-continue`) while what comes is still read:
 * closing a socket with unread data would make the kernel send RST and lose the answer. A request
 * already complete needs no drain: Node closes the connection after the response.
 */
export function drainRequest(req: IncomingMessage, res: ServerResponse, halfClose = false): void {
  if (req.complete || (req as DrainRequest)[kDrain]) return;
  holdConnectionOpen(res);
  req.removeAllListeners('data');
  req.resume();
  const timer = setTimeout(destroyUndrained, DRAIN_TIMEOUT_MS, req);
  timer.unref();
  (req as DrainRequest)[kDrain] = { timer, res };
  req.once('end', endDrained);
  if (halfClose) whenWritten(res, endConnection, req, undefined);
}

function destroyUndrained(req: IncomingMessage): void {
  if (!req.complete) req.socket.destroy();
}

function endDrained(this: DrainRequest): void {
  const drain = this[kDrain]!;
  clearTimeout(drain.timer);
  whenWritten(drain.res, endConnection, this, undefined);
}

function endConnection(req: IncomingMessage): void {
  req.socket?.end();
}

const kGuard = Symbol('fc-container.guard');

interface GuardState {
  res: ServerResponse;
  limit: number;
  received: number;
  refused: LimitError | undefined;
  /** Emit the error once the body is drained (the runtime answered); false: it was emitted already. */
  emitWhenDrained: boolean;
  /** The error was emitted on the request (once, whichever way came first). */
  emitted: boolean;
  timer: NodeJS.Timeout | undefined;
  onRefused: (req: IncomingMessage, error: LimitError) => boolean;
}

type GuardedRequest = IncomingMessage & { [kGuard]?: GuardState };

/**
 * Counts the body of a request an HTTP function reads itself (one sent without a
 * `content-length`, which the parser would otherwise let run on). Node's parser hands each body
 * chunk to `req.push()` (`parserOnBody` in `_http_common.js`), so the count sits there, before the
 * chunk is buffered, whoever reads the stream and however. Past the limit, chunks and the final
 * `push(null)` are dropped (no more `data`, no `end`) and `onRefused` is called once. When it
 * returns true (it answered the client with `connection: close` and {@link holdConnectionOpen}),
 * the rest of the body is drained, the connection ended once the answer is out, and only then is the {@link LimitError}
 * emitted on the request, so a handler that closes the socket on error cannot cut the client off
 * before it has read the answer; when false, the error is emitted at once.
 */
export function guardRequestBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  onRefused: (req: IncomingMessage, error: LimitError) => boolean,
): void {
  (req as GuardedRequest)[kGuard] = { res, limit, received: 0, refused: undefined, emitWhenDrained: false, emitted: false, timer: undefined, onRefused };
  req.push = pushCounted;
}

function pushCounted(this: GuardedRequest, chunk: unknown, encoding?: BufferEncoding): boolean {
  const guard = this[kGuard]!;
  if (guard.refused) {
    if (chunk === null) {
      clearTimeout(guard.timer);
      // The runtime answered with `connection: close` and held the socket open: close it once
      // that answer is out (it may still be held behind FC's markers), then tell the handler.
      if (guard.emitWhenDrained) whenWritten(guard.res, endRefusedConnection, this, undefined);
    }
    // Answer true so the parser keeps the socket flowing (false would make it stop reading, and
    // the drain would never finish).
    return true;
  }
  if (chunk !== null && chunk !== undefined) {
    guard.received += (chunk as Buffer).length;
    if (guard.received > guard.limit) {
      const error = createBodyLimitError(guard.limit, guard.received, false);
      guard.refused = error;
      guard.emitWhenDrained = guard.onRefused(this, error);
      if (!guard.emitWhenDrained) process.nextTick(emitRefusal, this);
      // A client that leaves once it has the answer, before the rest of its body arrived: the
      // body never ends, and the handler must still hear that its request failed.
      else guard.res.once('close', onRefusedResponseClose);
      guard.timer = setTimeout(destroyUndrained, DRAIN_TIMEOUT_MS, this);
      guard.timer.unref();
      return true;
    }
  }
  return pushToStream.call(this, chunk, encoding);
}

function endRefusedConnection(req: IncomingMessage): void {
  req.socket?.end();
  process.nextTick(emitRefusal, req);
}

function onRefusedResponseClose(this: ServerResponse): void {
  process.nextTick(emitRefusal, this.req as GuardedRequest);
}

function emitRefusal(req: GuardedRequest): void {
  const guard = req[kGuard]!;
  if (guard.emitted) return;
  guard.emitted = true;
  req.emit('error', guard.refused);
}
