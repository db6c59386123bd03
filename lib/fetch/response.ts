/**
 * The handler's `Response` goes onto the Node response. A light one (light-response.ts) with a
 * string, bytes or no body is written with one `writeHead` and one `end`, in the turn the handler
 * returned it; a stream body, and Node's own Responses (a proxied `fetch()` result), are read and
 * written by response-body.ts.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ignore, type Exchange } from './exchange.js';
import {
  BODY_NULL, BODY_STREAM, BODY_OTHER, BODY_TEXT, kBody, kHeaders, kHeadersInit, kKind, kNative, kStatus, kStatusText,
  LightResponse, TEXT_CONTENT_TYPE, toNativeResponse,
} from './light-response.js';
import { sendBody } from './response-body.js';
import { shared } from './shared.js';

type Light = InstanceType<typeof LightResponse>;

/**
 * Sends the handler's Response, unless the runtime answered already or the client is gone.
 * Returns a promise only while a body is being streamed.
 */
export function sendResponse(exchange: Exchange, response: Response, head: boolean): void | Promise<void> {
  // A light response of the adapter's own class, not yet turned into Node's: its fields are the
  // truth. A subclass may override getters, so it is read through the public API.
  if (Object.getPrototypeOf(response) === LightResponse.prototype && (response as Light)[kNative] === undefined) {
    const light = response as Light;
    const kind = light[kKind];
    if (kind !== BODY_OTHER) return sendLight(exchange, light, kind, head);
    response = toNativeResponse(light);
  }
  return sendNative(exchange, response, head);
}

function sendLight(exchange: Exchange, light: Light, kind: number, head: boolean): void | Promise<void> {
  const { res } = exchange;
  if (res.headersSent || res.destroyed) {
    if (kind === BODY_STREAM) (light[kBody] as ReadableStream).cancel().catch(ignore);
    return;
  }
  const headers = toHeaderObject(light, kind === BODY_TEXT);
  const status = light[kStatus];
  if (kind === BODY_STREAM) {
    res.statusCode = status;
    if (light[kStatusText]) res.statusMessage = light[kStatusText];
    for (const name in headers) res.setHeader(name, headers[name]!);
    const stream = light[kBody] as ReadableStream<Uint8Array>;
    if (!head) return sendBody(exchange, stream);
    stream.cancel().catch(ignore);
    res.end();
    return;
  }
  const body = kind === BODY_NULL ? '' : light[kBody] as string | Uint8Array;
  // Node quirk: writeHead() stores the head at once, so a body given to end() after it would be
  // framed chunked (and the runtime would rewrite the head, framing.ts). Node frames by
  // `_contentLength` when it is set before (lib/_http_outgoing.js _storeHeader): the head goes
  // out with the true Content-Length, in the same write as the body.
  if (!head) (res as ServerResponse & { _contentLength: number | null })._contentLength = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const statusText = light[kStatusText];
  if (statusText) res.writeHead(status, statusText, headers);
  else res.writeHead(status, headers);
  if (kind === BODY_NULL || head) res.end();
  else res.end(body);
}

/**
 * The light response's headers as one object for `writeHead`, in one pass: names in lower case,
 * `set-cookie` one line per cookie, repeated names of a pair list joined as `Headers` joins them;
 * `content-length` and the hop-by-hop headers dropped (the server frames the body itself). A
 * string body gets Fetch's `text/plain;charset=UTF-8` unless a Content-Type is given. A plain
 * object already in that form is used as it is.
 */
function toHeaderObject(light: Light, text: boolean): OutgoingHttpHeaders {
  const init = light[kHeaders] ?? light[kHeadersInit];
  let headers: OutgoingHttpHeaders | undefined;
  let typed = !text;
  if (init === undefined || init === null) {
    headers = {};
  } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    headers = {};
    for (const pair of init as Iterable<[string, string]>) {
      const name = String(pair[0]).toLowerCase();
      if (skipHeader(name)) continue;
      const value = String(pair[1]);
      if (name === 'content-type') typed = true;
      const earlier = headers[name];
      if (earlier === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (name === 'set-cookie') (earlier as string[]).push(value);
      else headers[name] = earlier + ', ' + value;
    }
  } else {
    // A record, Hono's usual `{ 'content-type': ... }`: copied only if a name needs changing.
    const record = init as Record<string, unknown>;
    let copy: OutgoingHttpHeaders | undefined;
    for (const key in record) {
      const name = key.toLowerCase();
      const dropped = skipHeader(name);
      if (name === 'content-type') typed = true;
      if (copy === undefined && (dropped || name !== key || typeof record[key] !== 'string')) {
        copy = {};
        for (const earlier in record) {
          if (earlier === key) break;
          copy[earlier] = record[earlier] as string;
        }
      }
      if (copy !== undefined && !dropped) copy[name] = String(record[key]);
    }
    headers = copy ?? (record as OutgoingHttpHeaders);
    if (!typed) headers = copy === undefined ? { ...headers } : headers;
  }
  if (!typed) headers['content-type'] = TEXT_CONTENT_TYPE;
  return headers;
}

/** `content-length` and the hop-by-hop names (lower case); most names cost one length switch. */
function skipHeader(name: string): boolean {
  switch (name.length) {
    case 14:
      return name === 'content-length';
    case 2: // te
    case 7: // trailer, upgrade
    case 10: // connection, keep-alive
    case 16: // proxy-connection
    case 17: // transfer-encoding
      return shared.hopByHopHeaders.has(name);
    default:
      return false;
  }
}

/** Node's Response (or another implementation's): its status, headers, and body read as a stream. */
function sendNative(exchange: Exchange, response: Response, head: boolean): void | Promise<void> {
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
  return sendBody(exchange, body);
}

/**
 * Puts a `Headers` on `res` in one pass, where the runtime's `writeHead` override strips what FC
 * forbids and measures the rest. `set-cookie` stays one header per cookie (a `Headers` iterates
 * each cookie on its own). `content-length` and the hop-by-hop headers (a proxied upstream's
 * `connection`, `keep-alive`, `transfer-encoding`) describe the Fetch body or another
 * connection, not this one, so they are not copied.
 */
function copyHeaders(res: ServerResponse, headers: Headers): void {
  let cookies: string[] | undefined;
  for (const [name, value] of headers) {
    if (name === 'set-cookie') (cookies ??= []).push(value);
    else if (!skipHeader(name)) res.setHeader(name, value);
  }
  if (cookies !== undefined) res.setHeader('set-cookie', cookies);
}
