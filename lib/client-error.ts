/**
 * What Node's HTTP parser rejects (a header block past `maxHeaderSize`, malformed syntax, a headers
 * timeout), answered with FC's JSON gateway error instead of Node's bare 400/431 or a reset. The
 * same answer as the runtime's server (server.ts), for any `node:http` server's `'clientError'`.
 */
import type { Duplex } from 'node:stream';
import { ERRORS, GatewayError, type GatewayErrorCode } from './errors.js';

/** How long a socket that sent a malformed request may keep sending before it is closed. */
export const CLIENT_ERROR_LINGER_MS = 1000;

/** The gateway error code and message for a parser error. */
export function describeClientError(error: Error & { code?: string }): [GatewayErrorCode, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return ['FC_REQUEST_HEADERS_TOO_LARGE', 'Request line and headers exceed the size the server parses'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['FC_HEADERS_TIMEOUT', 'Request headers were not received in time'];
    default:
      return ['FC_BAD_REQUEST', `Malformed HTTP request (${error.code ?? error.message})`];
  }
}

/**
 * Writes FC's JSON error on the socket (with `extraHeaders`, lower-case name to value), ends it,
 * and reads and drops what the client still sends for a moment before destroying it (closing with
 * unread data would send RST, and the client would lose the answer).
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, extraHeaders: Record<string, string> = {}): void {
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const [code, message] = describeClientError(error);
  const body = JSON.stringify(new GatewayError(code, message));
  const status = ERRORS[code].status;
  let extra = '';
  for (const name in extraHeaders) extra += `${name}: ${extraHeaders[name]}\r\n`;
  socket.end(`HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n`
    + 'content-type: application/json\r\n'
    + `content-length: ${Buffer.byteLength(body)}\r\n`
    + extra
    + 'connection: close\r\n\r\n' + body);
  socket.on('data', discard);
  socket.resume();
  setTimeout(destroySocket, CLIENT_ERROR_LINGER_MS, socket).unref();
}

function discard(): void {}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
