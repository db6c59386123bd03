/**
 * The handler's `Response` goes onto the Node response: status, headers, and a body known at
 * once (sent in one `end()`) or read and written by response-body.ts.
 */
import type { ServerResponse } from 'node:http';
import { ignore, type Exchange } from './exchange.js';
import { kResponseState, type BodyState } from './node-slots.js';
import { sendBody } from './response-body.js';
import { shared } from './shared.js';

/** Sends the handler's Response, unless the runtime answered already or the client is gone. */
export async function sendResponse(exchange: Exchange, response: Response, head: boolean): Promise<void> {
  const { res } = exchange;
  const body = response.body;
  if (res.headersSent || res.destroyed) {
    // The runtime answered already (a timeout, a body over the limit) or the client is gone.
    if (body !== null) body.cancel().catch(ignore);
    return;
  }
  const status = response.status;
  if (status === 0) throw new TypeError('The fetch handler returned a network error (Response.error())');
  res.statusCode = status;
  const statusText = response.statusText;
  if (statusText) res.statusMessage = statusText;
  copyHeaders(res, response.headers);
  if (body === null || head) {
    if (body !== null) body.cancel().catch(ignore);
    res.end();
    return;
  }
  const known = kResponseState === undefined ? undefined : knownBody(response, body);
  if (known !== undefined) {
    res.end(known);
    return;
  }
  await sendBody(exchange, body);
}

/**
 * The string or bytes a Node Response was built from, while its body stream is untouched (not
 * read, not locked): the body, known without reading it.
 */
function knownBody(response: Response, stream: ReadableStream<Uint8Array>): string | Uint8Array | undefined {
  if (!(response instanceof Response) || stream.locked) return undefined;
  const body = (response as unknown as Record<symbol, BodyState | undefined>)[kResponseState!]?.body;
  if (!body || body.stream !== stream) return undefined;
  const source = body.source;
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) return undefined;
  return response.bodyUsed ? undefined : source;
}

/**
 * Puts the Response's headers on `res`, where the runtime's `writeHead` override strips what FC
 * forbids and measures the rest. `set-cookie` stays one header per cookie. `content-length` and the
 * hop-by-hop headers (a proxied upstream's `connection`, `keep-alive`, `transfer-encoding`)
 * describe the Fetch body or another connection, not this one: the server frames the body itself
 * (a `content-length` when the whole body is known, else chunked), so they are not copied.
 */
function copyHeaders(res: ServerResponse, headers: Headers): void {
  let cookies = false;
  for (const [name, value] of headers) {
    if (name === 'set-cookie') {
      cookies = true;
      continue;
    }
    if (name === 'content-length' || shared.hopByHopHeaders.has(name)) continue;
    res.setHeader(name, value);
  }
  if (!cookies) return;
  if (typeof headers.getSetCookie === 'function') {
    res.setHeader('set-cookie', headers.getSetCookie());
  } else {
    const values: string[] = [];
    for (const [name, value] of headers) if (name === 'set-cookie') values.push(value);
    res.setHeader('set-cookie', values);
  }
}
