/**
 * A Node request becomes a `Request`: the URL from the target and the Host header, the headers
 * but the hop-by-hop ones, and the body as a stream that pulls from `req`.
 */
import type { IncomingMessage } from 'node:http';
import { RequestBody } from './body.js';
import type { Exchange } from './exchange.js';
import { FetchRequest } from './fetch-request.js';
import { kRequestSignal } from './node-slots.js';
import { shared } from './shared.js';

/** The request body stream reads nothing until the handler asks: a body it ignores is never pulled. */
const NO_READ_AHEAD: QueuingStrategy<Uint8Array> = { highWaterMark: 0 };

/** Hosts the fast path takes as they are: names, IPv4, IPv6 in brackets, an optional port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Characters that would move the host's end (and so change the path an app routes on). */
const HOST_BREAKERS = /[/?#@\\\s]/;
const ABSOLUTE_TARGET = /^https?:\/\//i;
const HTTPS_FIRST = /^\s*https\s*(?:,|$)/i;

/**
 * Builds the `Request`: the absolute URL (`https` when `x-forwarded-proto` says so, the host from
 * the Host header, else `localhost`), the method, every header as received but the hop-by-hop
 * ones and `Expect` (repeated ones kept; several `Cookie` lines joined with `; ` as a cookie list
 * must be), and a streamed body for a
 * method that may carry one when the request declares one. Throws a `TypeError` for a request
 * that cannot be one.
 */
export function createRequest(req: IncomingMessage, exchange: Exchange): Request {
  const raw = req.rawHeaders;
  const headers: [string, string][] = [];
  let host = '';
  let https = false;
  let hasBody = false;
  let cookie = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // Compare names only where the length matches: most headers cost one switch.
    switch (name.length) {
      case 4:
        if (host === '' && name.toLowerCase() === 'host') host = value;
        break;
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'cookie') {
          if (cookie !== -1) {
            headers[cookie]![1] += '; ' + value;
            continue;
          }
          cookie = headers.length;
        } else if (lower === 'expect') {
          continue; // met by the runtime (its 100 Continue); Node's fetch() refuses a Request with it
        }
        break;
      }
      case 7: // upgrade, trailer
      case 16: // proxy-connection
        if (shared.hopByHopHeaders.has(name.toLowerCase())) continue;
        break;
      case 14:
        if (value !== '0' && name.toLowerCase() === 'content-length') hasBody = true;
        break;
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') {
          hasBody = true;
          continue; // hop-by-hop: the Request's body is a stream, framed by whoever sends it on
        }
        if (lower === 'x-forwarded-proto') https = HTTPS_FIRST.test(value);
        break;
      }
    }
    headers.push([name, value]);
  }

  const target = req.url ?? '/';
  let url: string;
  if (target.charCodeAt(0) === 0x2f /* / */) {
    url = (https ? 'https://' : 'http://') + checkHost(host) + target;
  } else if (ABSOLUTE_TARGET.test(target)) {
    url = target; // absolute-form: the target names the host (RFC 9112 §3.2.2)
  } else {
    throw new TypeError(`Request target "${target}" is not a path`);
  }

  const method = req.method ?? 'GET';
  let init: RequestInit & { duplex?: 'half' };
  if (!hasBody || method === 'GET' || method === 'HEAD') {
    init = { method, headers };
  } else {
    const source = new RequestBody(req);
    exchange.body = source;
    init = { method, headers, body: new ReadableStream<Uint8Array>(source, NO_READ_AHEAD), duplex: 'half' };
  }
  if (kRequestSignal !== undefined) return new FetchRequest(url, init, exchange.controller);
  init.signal = exchange.controller.signal;
  return new Request(url, init);
}

function checkHost(host: string): string {
  if (host === '') return 'localhost';
  if (PLAIN_HOST.test(host) || !HOST_BREAKERS.test(host)) return host;
  throw new TypeError(`Invalid Host header "${host}"`);
}

/** Throws FC's 400 for a request no `Request` can represent. */
export function refuseRequest(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  throw shared.badRequest(`Malformed HTTP request (${message})`);
}
