/**
 * The light `Request` a `fetch` handler gets: method, URL and headers served from the Node request
 * (the headers made on first read), the signal made on first read, and `text()`/`json()`/
 * `arrayBuffer()`/`bytes()`/`blob()` read from the socket into one buffer (read-body.ts). Node's
 * own `Request` is built only when something needs one ({@link getNodeRequest}): the body as a
 * stream, `clone()`, `formData()`, the rarely read fields (`cache`, `mode`, ...), and
 * `fetch(request)`/`new Request(request)` (globals.ts unwraps it there). The design follows
 * `@hono/node-server` 2.x's request module and srvx's `NodeRequest`.
 */
import type { IncomingMessage } from 'node:http';
import { RequestBody } from './body.js';
import type { Exchange } from './exchange.js';
import { getNodeRequestClass } from './natives.js';
import { readRequestBody } from './read-body.js';
import { shared } from './shared.js';

const kIncoming = Symbol('fc-container.request.incoming');
const kExchange = Symbol('fc-container.request.exchange');
const kMethod = Symbol('fc-container.request.method');
const kUrl = Symbol('fc-container.request.url');
const kLength = Symbol('fc-container.request.length');
const kHeaders = Symbol('fc-container.request.headers');
const kNative = Symbol('fc-container.request.native');
const kUsed = Symbol('fc-container.request.used');

/** No body for these (Fetch refuses a body on GET and HEAD). */
const NO_BODY = -2;
/** The request body stream reads nothing until the handler asks: a body it ignores is never pulled. */
const NO_READ_AHEAD: QueuingStrategy<Uint8Array> = { highWaterMark: 0 };

export const LightRequest = class Request {
  declare [kIncoming]: IncomingMessage;
  declare [kExchange]: Exchange;
  declare [kMethod]: string;
  declare [kUrl]: string;
  /** The declared body length; -1 for a chunked body, {@link NO_BODY} for none. */
  declare [kLength]: number;
  declare [kHeaders]: Headers | undefined;
  declare [kNative]: globalThis.Request | undefined;
  /** The body was read by `text()` and the like (without Node's Request). */
  declare [kUsed]: boolean;

  constructor(req: IncomingMessage, exchange: Exchange, method: string, url: string, length: number) {
    this[kIncoming] = req;
    this[kExchange] = exchange;
    this[kMethod] = method;
    this[kUrl] = url;
    this[kLength] = method === 'GET' || method === 'HEAD' ? NO_BODY : length;
    this[kHeaders] = undefined;
    this[kNative] = undefined;
    this[kUsed] = false;
  }

  get method(): string {
    return this[kMethod];
  }

  get url(): string {
    return this[kUrl];
  }

  get headers(): Headers {
    const native = this[kNative];
    if (native !== undefined) return native.headers;
    return (this[kHeaders] ??= new globalThis.Headers(collectHeaders(this[kIncoming].rawHeaders)));
  }

  /** Aborts when the client goes away before the response has finished. */
  get signal(): AbortSignal {
    return this[kExchange].getSignal();
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this[kLength] === NO_BODY && this[kNative] === undefined) return null;
    return getNodeRequest(this).body;
  }

  get bodyUsed(): boolean {
    const native = this[kNative];
    return native === undefined ? this[kUsed] : native.bodyUsed;
  }

  get cache(): RequestCache { return getNodeRequest(this).cache; }
  get credentials(): RequestCredentials { return getNodeRequest(this).credentials; }
  get destination(): RequestDestination { return getNodeRequest(this).destination; }
  get integrity(): string { return getNodeRequest(this).integrity; }
  get keepalive(): boolean { return getNodeRequest(this).keepalive; }
  get mode(): RequestMode { return getNodeRequest(this).mode; }
  get redirect(): RequestRedirect { return getNodeRequest(this).redirect; }
  get referrer(): string { return getNodeRequest(this).referrer; }
  get referrerPolicy(): ReferrerPolicy { return getNodeRequest(this).referrerPolicy; }
  get duplex(): 'half' { return 'half'; }

  clone(): globalThis.Request {
    if (this[kUsed]) throw new TypeError('Request.clone: the body has already been read');
    return getNodeRequest(this).clone();
  }

  formData(): Promise<FormData> {
    if (this[kUsed]) return rejectUsed();
    return getNodeRequest(this).formData();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return readBody(this).then(toArrayBuffer);
  }

  bytes(): Promise<Uint8Array> {
    return readBody(this).then(toBytes);
  }

  text(): Promise<string> {
    return readBody(this).then(toText);
  }

  json(): Promise<unknown> {
    return readBody(this).then(toJson);
  }

  blob(): Promise<Blob> {
    const type = this[kNative] === undefined && this[kHeaders] === undefined
      ? this[kIncoming].headers['content-type'] ?? ''
      : this.headers.get('content-type') ?? '';
    return readBody(this).then((body) => new Blob([body as Uint8Array<ArrayBuffer>], { type }));
  }
};

type Light = InstanceType<typeof LightRequest>;

/** Whether `value` is a light request. */
export function isLightRequest(value: unknown): value is Light {
  return typeof value === 'object' && value !== null && kIncoming in value;
}

/**
 * Node's own Request for a light one, built once: the same method, URL and headers, the body as
 * a stream that pulls from the Node request (body.ts), and the light request's signal, so a
 * proxied `fetch(request)` is aborted with the client.
 */
export function getNodeRequest(light: Light): globalThis.Request {
  let native = light[kNative];
  if (native !== undefined) return native;
  const NodeRequest = getNodeRequestClass();
  const init: RequestInit & { duplex?: 'half' } = {
    method: light[kMethod],
    headers: light[kHeaders] ?? collectHeaders(light[kIncoming].rawHeaders),
    signal: light.signal,
  };
  const length = light[kLength];
  if (light[kUsed]) {
    // Read already: an empty body that reports used (Fetch: a read body stays unusable).
    init.body = new ReadableStream<Uint8Array>({ start: closeStream });
    init.duplex = 'half';
  } else if (length !== NO_BODY && length !== 0) {
    const source = new RequestBody(light[kIncoming]);
    light[kExchange].body = source;
    light[kExchange].watchClose();
    init.body = new ReadableStream<Uint8Array>(source, NO_READ_AHEAD);
    init.duplex = 'half';
  }
  native = new NodeRequest(light[kUrl], init);
  if (light[kUsed]) void native.arrayBuffer().catch(ignore);
  light[kNative] = native;
  return native;
}

function readBody(light: Light): Promise<Buffer> {
  const native = light[kNative];
  if (native !== undefined) return native.arrayBuffer().then(Buffer.from);
  const length = light[kLength];
  // A GET or HEAD has no body (null): reading it gives nothing and leaves it unused, as in Fetch.
  if (length === NO_BODY) return Promise.resolve(Buffer.alloc(0));
  if (light[kUsed]) return rejectUsed();
  light[kUsed] = true;
  return readRequestBody(light[kIncoming], length);
}

function rejectUsed(): Promise<never> {
  return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
}

/**
 * The request's headers for a `Headers`: every one as received but the hop-by-hop ones and
 * `Expect` (met by the runtime's 100 Continue; Node's fetch() refuses a Request with it), repeated
 * ones kept, several `Cookie` lines joined with `; ` as a cookie list must be (RFC 6265 §5.4).
 */
export function collectHeaders(raw: string[]): [string, string][] {
  const headers: [string, string][] = [];
  let cookie = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // Compare names only where the length matches: most headers cost one switch.
    switch (name.length) {
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'cookie') {
          if (cookie !== -1) {
            headers[cookie]![1] += '; ' + value;
            continue;
          }
          cookie = headers.length;
        } else if (lower === 'expect') {
          continue;
        }
        break;
      }
      case 2: // te
      case 7: // upgrade, trailer
      case 10: // connection, keep-alive
      case 16: // proxy-connection
      case 17: // transfer-encoding: the body is a stream, framed by whoever sends it on
        if (shared.hopByHopHeaders.has(name.toLowerCase())) continue;
        break;
    }
    headers.push([name, value]);
  }
  return headers;
}

function toArrayBuffer(body: Buffer): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = body;
  return byteOffset === 0 && byteLength === buffer.byteLength ? buffer as ArrayBuffer : buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
}

function toBytes(body: Buffer): Uint8Array {
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** UTF-8 as Fetch decodes a body: a leading byte order mark dropped, bad sequences replaced. */
function toText(body: Buffer): string {
  const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  return body.toString('utf8', start);
}

function toJson(body: Buffer): unknown {
  return JSON.parse(toText(body));
}

function closeStream(controller: ReadableStreamDefaultController<Uint8Array>): void {
  controller.close();
}

function ignore(): void {}
