/**
 * A light request's whole body for `text()`, `json()`, `arrayBuffer()`, `bytes()` and `blob()`:
 * read from the Node request straight into one buffer, with no stream in between. The runtime
 * has already refused a declared length over the body limit, and errors `req` with its
 * `LimitError` when a chunked body passes it, so the buffer never grows past the limit.
 * The listeners are shared functions reading the state through `this`.
 */
import type { IncomingMessage } from 'node:http';

const kRead = Symbol('fc-container.fetch.read');

interface BodyRead {
  /** Preallocated for a declared length; else undefined and the chunks are kept until the end. */
  buffer: Buffer | undefined;
  /** Bytes written into `buffer`; what did not fit (never, with Node's framing) is in `chunks`. */
  filled: number;
  chunks: Buffer[];
  bytes: number;
  resolve: (body: Buffer) => void;
  reject: (error: unknown) => void;
}

type ReadRequest = IncomingMessage & { [kRead]?: BodyRead };

const EMPTY = Buffer.alloc(0);

/**
 * Reads the body of `req` to its end. `length` is its declared `content-length` (-1 when
 * chunked). Resolves to a buffer that owns its memory (its `.buffer` is the body alone); rejects
 * with the request's error (the runtime's `LimitError`), or an `ECONNRESET` error when the client
 * left before the body was complete.
 */
export function readRequestBody(req: IncomingMessage, length: number): Promise<Buffer> {
  if (length === 0) return Promise.resolve(EMPTY);
  if (req.readableEnded) return Promise.resolve(EMPTY);
  if (req.destroyed) return Promise.reject(createAbortedError());
  return new Promise<Buffer>((resolve, reject) => {
    const read: BodyRead = {
      buffer: length > 0 ? Buffer.allocUnsafeSlow(length) : undefined, filled: 0, chunks: [], bytes: 0, resolve, reject,
    };
    (req as ReadRequest)[kRead] = read;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function onData(this: ReadRequest, chunk: Buffer): void {
  const read = this[kRead]!;
  const { buffer } = read;
  if (buffer !== undefined && read.chunks.length === 0 && read.filled + chunk.length <= buffer.length) {
    read.filled += chunk.copy(buffer, read.filled);
  } else {
    read.chunks.push(chunk);
  }
  read.bytes += chunk.length;
}

function onEnd(this: ReadRequest): void {
  const read = finish(this);
  if (read === undefined) return;
  const { buffer, chunks, bytes, filled } = read;
  if (buffer !== undefined && chunks.length === 0) {
    read.resolve(filled === buffer.length ? buffer : Buffer.from(buffer.subarray(0, filled)));
    return;
  }
  // Chunked: one copy into a buffer of the body's own size.
  const body = Buffer.allocUnsafeSlow(bytes);
  let offset = 0;
  if (buffer !== undefined) offset += buffer.copy(body, 0, 0, filled);
  for (const chunk of chunks) offset += chunk.copy(body, offset);
  read.resolve(body);
}

function onError(this: ReadRequest, error: Error): void {
  finish(this)?.reject(error);
}

function onClose(this: ReadRequest): void {
  // After 'end', finish() has cleared the read: this is the close of a complete body.
  finish(this)?.reject(createAbortedError());
}

/** Detaches the listeners once; undefined when the read has already settled. */
function finish(req: ReadRequest): BodyRead | undefined {
  const read = req[kRead];
  if (read === undefined) return undefined;
  req[kRead] = undefined;
  req.removeListener('data', onData);
  req.removeListener('end', onEnd);
  req.removeListener('error', onError);
  req.removeListener('close', onClose);
  return read;
}

/** The error of a body cut off by the client (the same as the body stream's, body.ts). */
export function createAbortedError(): Error {
  return Object.assign(new Error('The client closed the connection before the body was complete'), { code: 'ECONNRESET' });
}
