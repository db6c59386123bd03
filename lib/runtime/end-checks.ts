/**
 * The checks Node's `res.end()` makes before it writes anything, made in the handler's own turn.
 * The runtime defers the real `end` behind FC's End marker (output.ts), so what Node would throw
 * to the handler would otherwise be thrown later, where nobody can answer the client: a plain Node
 * server throws these to the caller of `end` (lib/_http_outgoing.js), and frameworks answer them
 * (Express's error handler sends a 500).
 */
import type { ServerResponse } from 'node:http';

/** A Node-style error: the class and `code` Node itself uses for the same mistake. */
function createNodeError<E extends Error>(Type: new (message: string) => E, code: string, message: string): E {
  return Object.assign(new Type(message), { code });
}

function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `type ${typeof value} (${String(value).slice(0, 25)})`;
}

/**
 * Throws what `end(...args)` on `res` would throw: `ERR_INVALID_ARG_TYPE` for a chunk that is
 * neither a string nor bytes, `ERR_UNKNOWN_ENCODING` for an encoding Node does not know, and,
 * when the headers are still to be written, `ERR_HTTP_INVALID_STATUS_CODE` for a status code
 * outside 100-999 (after `statusCode | 0`, as `writeHead` does). A falsy chunk is no chunk, as in
 * Node; `end(callback)` and `end(chunk, callback)` are accepted.
 */
export function checkEndArguments(res: ServerResponse, args: IArguments): void {
  const chunk: unknown = args[0];
  if (chunk && typeof chunk !== 'function') {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      throw createNodeError(TypeError, 'ERR_INVALID_ARG_TYPE',
        `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${describeReceived(chunk)}`);
    }
    const encoding: unknown = args[1];
    if (typeof encoding === 'string' && encoding !== 'buffer' && !Buffer.isEncoding(encoding)) {
      throw createNodeError(TypeError, 'ERR_UNKNOWN_ENCODING', `Unknown encoding: ${encoding}`);
    }
  }
  if (!res.headersSent) {
    const status = res.statusCode | 0;
    if (status < 100 || status > 999) {
      throw createNodeError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${String(res.statusCode)}`);
    }
  }
}
