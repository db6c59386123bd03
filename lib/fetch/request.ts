/**
 * A Node request becomes the light `Request` (light-request.ts): its URL from the target and the
 * Host header, its method, and what its body is declared as; the headers wait until read.
 */
import type { IncomingMessage } from 'node:http';
import type { Exchange } from './exchange.js';
import { LightRequest } from './light-request.js';
import { shared } from './shared.js';

/** Hosts the fast path takes as they are: names, IPv4, IPv6 in brackets, an optional port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** Characters that would move the host's end (and so change the path an app routes on). */
const HOST_BREAKERS = /[/?#@\\\s]/;
const ABSOLUTE_TARGET = /^https?:\/\//i;
const HTTPS_FIRST = /^\s*https\s*(?:,|$)/i;
/**
 * A host the URL parser keeps as it is: a lower-case name whose last label starts with a letter
 * (a last label of digits or `0x` makes the parser read an IPv4 address: `0x7f.1` is
 * `127.0.0.1`), or a dotted-quad address, and no default port. Anything else (upper case, `:80`,
 * an IPv6 literal, a trailing dot) goes through `new URL()` for the URL Fetch would give.
 */
const CANONICAL_HOST = /^(?:(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*|(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?::(?!80$|443$)(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d\d|655[0-2]\d|6553[0-5]))?$/;
/**
 * A target the URL parser keeps as it is. The parser percent-encodes controls, space, `"`, `<`,
 * `>`, `` ` ``, `{`, `}` (and `'` in the query), turns `\\` into `/`, drops the fragment and
 * resolves `.`/`..` segments (also written `%2e`); a target with any of them, or a non-ASCII byte,
 * goes through `new URL()` (WHATWG URL §4.4).
 */
const NONCANONICAL_TARGET = /[^\x21-\x7e]|["'<>\\^`{|}#]|\/\.|\/%2e/i;
/** The last Host header seen, and whether it is canonical (it passed checkHost if so). */
let lastHost: string | undefined;
let lastCanonical = false;
/** Methods Fetch refuses (Fetch §2.2.1 forbidden methods): Node's Request throws for them. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Builds the light `Request`: the absolute URL (`https` when `x-forwarded-proto` says so, the host
 * from the Host header, else `localhost`), as Node's `Request` would serialize it; the method; the
 * declared body length (`content-length`, or -1 for a chunked body). Throws a `TypeError` for a
 * request that cannot be one.
 */
export function createRequest(req: IncomingMessage, exchange: Exchange): InstanceType<typeof LightRequest> {
  const raw = req.rawHeaders;
  let host = '';
  let https = false;
  let length = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Compare names only where the length matches: most headers cost one switch.
    switch (name.length) {
      case 4:
        if (host === '' && name.toLowerCase() === 'host') host = raw[i + 1]!;
        break;
      case 14:
        if (length === 0 && name.toLowerCase() === 'content-length') length = Number(raw[i + 1]);
        break;
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') length = -1;
        else if (lower === 'x-forwarded-proto') https = HTTPS_FIRST.test(raw[i + 1]!);
        break;
      }
    }
  }

  const target = req.url ?? '/';
  let url: string;
  if (target.charCodeAt(0) === 0x2f /* / */) {
    // Every request of a function names the same host: its verdict is kept for the next one.
    if (host !== lastHost) {
      lastCanonical = CANONICAL_HOST.test(checkHost(host));
      lastHost = host;
    }
    url = (https ? 'https://' : 'http://') + (host === '' ? 'localhost' : host) + target;
    if (!lastCanonical || NONCANONICAL_TARGET.test(target)) url = new URL(url).href;
  } else if (ABSOLUTE_TARGET.test(target)) {
    url = new URL(target).href; // absolute-form: the target names the host (RFC 9112 §3.2.2)
  } else {
    throw new TypeError(`Request target "${target}" is not a path`);
  }
  const method = req.method ?? 'GET';
  if (FORBIDDEN_METHODS.has(method)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return new LightRequest(req, exchange, method, url, length);
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
