/**
 * The container's answer, read whole before any of it goes to the caller, as FC's gateway does a
 * non-streaming response. The invocation ends when the container has answered (FC's duration,
 * timeout and instance concurrency count the function, not the caller): a caller that reads
 * slowly, or has left, holds only its copy of the answer, never the slot or the timer. Piping
 * the answer through instead would tie the container to the caller by backpressure.
 *
 * Bounded by FC's synchronous payload limit (`limits.body`, which FC documents for the request and
 * the response of a synchronous invocation alike): past it the rest is read and thrown away, so
 * the function runs to its end and its keep-alive connection stays usable, and the caller gets
 * FC's 502 `BadResponse`.
 */
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream/promises';
import { GatewayError } from '../rules/errors.js';

/** What the container sent after its head. */
export type AnswerBody =
  | { tooLarge: false; body: Buffer }
  | { tooLarge: true };

/**
 * Reads `upstream` to its end, keeping at most `maxBytes`. Rejects as the stream does when the
 * connection is lost mid-answer (or the request is aborted by the function timeout).
 */
export async function readAnswer(upstream: IncomingMessage, maxBytes: number): Promise<AnswerBody> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let tooLarge = false;
  upstream.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    bytes += chunk.length;
    if (bytes > maxBytes) {
      tooLarge = true;
      chunks.length = 0;
      return;
    }
    chunks.push(chunk);
  });
  await finished(upstream);
  // 'aborted' (the connection closed mid-body) ends the stream without an error on Node 20.
  if (!upstream.complete) throw Object.assign(new Error('The connection closed mid-answer'), { code: 'ECONNRESET' });
  return tooLarge ? { tooLarge } : { tooLarge, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes) };
}

/** FC's 502 `BadResponse` for an answer past the payload limit. */
export function createAnswerTooLargeError(limit: number): GatewayError {
  return new GatewayError('FC_RESPONSE_TOO_LARGE', `Response body is over ${limit} bytes; the limit is ${limit} bytes`, limit, limit + 1);
}

/**
 * The `content-length` the caller gets: the true length of the body held, except where a response
 * has no body whatever its headers say (a HEAD request, 204, 304: RFC 9110 §8.6, §15.3.5,
 * §15.4.5), where the container's own value (if any) is passed on.
 */
export function answerLength(method: string, status: number, upstream: IncomingMessage, body: Buffer): string | undefined {
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    const declared = upstream.headers['content-length'];
    return declared !== undefined && upstream.headers['transfer-encoding'] === undefined ? declared : undefined;
  }
  return String(body.length);
}
