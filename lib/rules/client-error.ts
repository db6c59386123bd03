/**
 * What Node's HTTP parser rejects (a header block past `maxHeaderSize`, malformed syntax, a headers
 * timeout), answered with FC's JSON gateway error instead of Node's bare 400/431 or a reset. The
 * same answer as the runtime's server (server.ts), for any `node:http` server's `'clientError'`.
 */
import type { Duplex } from 'node:stream';
import { ERRORS, GatewayError, type GatewayErrorCode } from './errors.js';
import { setTimeout } from './timers.js';

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

/** Marks a socket whose parser error is being answered: llhttp repeats its error for each later chunk. */
const kAnswered = Symbol('fc-container.clientErrorAnswered');

type ErrorSocket = Duplex & {
  _httpMessage?: (NodeJS.EventEmitter & { headersSent?: boolean; req?: { complete: boolean } }) | null;
  [kAnswered]?: true;
};

/**
 * Writes FC's JSON error on the socket (with `extraHeaders`, lower-case name to value), ends it,
 * and reads and drops what the client still sends for a moment before destroying it (closing with
 * unread data would send RST, and the client would lose the answer).
 *
 * Requests pipelined whole before the malformed bytes keep their place: Node has already
 * dispatched them, and their responses go out first, in order; the error follows the last of them
 * (Node's own fallback writes its 400 at once, ahead of responses still being computed). The error
 * replaces the response of the request it broke (a bad chunk inside a body). If that response has
 * started on the wire, nothing legible can follow it, so the socket is destroyed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, extraHeaders: Record<string, string> = {}): void {
  const errorSocket = socket as ErrorSocket;
  if (errorSocket[kAnswered]) return;
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  errorSocket[kAnswered] = true;
  // The parser is stuck in its error state: what still arrives is read and dropped, so the
  // client's writes do not block while the responses ahead of the error are computed.
  socket.on('data', discard);
  const [code, message] = describeClientError(error);
  const body = JSON.stringify(new GatewayError(code, message));
  const status = ERRORS[code].status;
  let extra = '';
  for (const name in extraHeaders) extra += `${name}: ${extraHeaders[name]}\r\n`;
  const head = `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n`
    + 'content-type: application/json\r\n'
    + `content-length: ${Buffer.byteLength(body)}\r\n`
    + extra
    + 'connection: close\r\n\r\n';
  writeAfterPending(errorSocket, head + body);
}

/**
 * Writes `answer` and ends the socket once the responses to whole requests ahead of it are sent.
 * Node attaches the next pipelined response in its own 'finish' listener (`resOnFinish`),
 * registered before this one, so each check sees the next response in line.
 */
function writeAfterPending(socket: ErrorSocket, answer: string): void {
  const current = socket._httpMessage;
  if (current?.req?.complete) {
    current.once('finish', () => writeAfterPending(socket, answer));
    return;
  }
  if (!socket.writable || current?.headersSent) {
    // A response ahead closed the connection (`Connection: close`), or the broken request's own
    // response is already on the wire.
    socket.destroy();
    return;
  }
  socket.end(answer);
  socket.resume();
  setTimeout(destroySocket, CLIENT_ERROR_LINGER_MS, socket).unref();
}

function discard(): void {}

function destroySocket(socket: Duplex): void {
  socket.destroy();
}
