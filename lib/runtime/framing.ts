/**
 * How an HTTP function's response body is framed. The runtime strips the handler's own
 * `content-length` (FC does not let a function set it), so a response whose headers went through
 * `writeHead` is stored by Node as `Transfer-Encoding: chunked`, even when the whole body then
 * arrives in one `end(body)`, the usual `writeHead(...); end(body)` of Node-style code.
 */
import type { ServerResponse } from 'node:http';

/** The last line Node's `_storeHeader` writes for a chunked response, then the blank line (lib/_http_outgoing.js). */
const CHUNKED_TAIL = 'Transfer-Encoding: chunked\r\n\r\n';

/** The Node internals this reads and rewrites; all plain fields on `OutgoingMessage` since Node 0.x. */
type OutgoingInternals = ServerResponse & {
  _header: string | null;
  _headerSent: boolean;
  _trailer: string;
  chunkedEncoding: boolean;
  _contentLength: number | null;
  _removedContLen: boolean;
};

/**
 * The body length Node measured for `end(body)` when no header was stored yet: `end` sets
 * `_contentLength` and then stores the headers through `_implicitHeader()` (lib/_http_outgoing.js),
 * which reaches the runtime's `writeHead`. Read it before the handler's `content-length` header
 * is stripped: `removeHeader('content-length')` clears it and marks the length removed, which
 * would frame the body chunked. Null when the headers are being stored without a known body.
 */
export function getMeasuredLength(res: ServerResponse): number | null {
  const length = (res as OutgoingInternals)._contentLength;
  return typeof length === 'number' ? length : null;
}

/**
 * Puts back the length {@link getMeasuredLength} read, after the strip, so Node writes
 * `Content-Length` with the true body size (an Express `res.send`, a `setHeader` then `end(body)`).
 */
export function restoreMeasuredLength(res: ServerResponse, length: number | null): void {
  if (length === null) return;
  const out = res as OutgoingInternals;
  out._contentLength = length;
  out._removedContLen = false;
}

/**
 * Called just before `end(...args)` of an HTTP function's response. When nothing has gone out yet
 * (no `write`, no `flushHeaders`), no trailers were added, and Node stored the headers as chunked,
 * the body is exactly the chunk given to `end`, so its length is known: the stored header block
 * is rewritten to carry `Content-Length` instead. Headers and body then leave in one write
 * instead of a five-buffer `writev` (chunk size, body, CRLF, terminator), and FC's gateway gets
 * the true length, whatever `content-length` the handler had declared.
 *
 * Leaves the response alone for a streamed body (it is already under way), trailers (they need
 * the chunked frame), and bodiless responses (HEAD, 204, 304: Node never made them chunked).
 */
export function frameByLength(res: ServerResponse, args: IArguments): void {
  const out = res as OutgoingInternals;
  if (!out.chunkedEncoding || out._headerSent || out._trailer !== '') return;
  const header = out._header;
  if (header === null || !header.endsWith(CHUNKED_TAIL)) return;
  out._header = `${header.slice(0, header.length - CHUNKED_TAIL.length)}Content-Length: ${endChunkLength(args[0], args[1])}\r\n\r\n`;
  out.chunkedEncoding = false;
}

/**
 * Byte length of `end(chunk, encoding)`'s chunk: 0 for `end()` and `end(callback)`. Anything else
 * makes `end` throw before a byte is sent (Node validates the chunk and the encoding itself), and
 * the runtime then drops the connection, so its value does not matter.
 */
function endChunkLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
