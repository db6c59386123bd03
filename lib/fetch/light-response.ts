/**
 * The light `Response`, installed as `globalThis.Response` when a `fetch` handler is given: it
 * keeps the body (a string, bytes, a stream, or null) and the init as they were given, so the
 * adapter writes a response with one `writeHead` and one `end` (response.ts). Node's own
 * `Response` is built from them only when something needs one: reading `body` of a string or
 * bytes, `text()`/`json()`/`clone()`, a body of another kind (a `Blob`, `FormData`,
 * `URLSearchParams`). The design follows `@hono/node-server` 2.x's response module and srvx's
 * `FastResponse`, without touching Node's class at load.
 *
 * Edge cases: the body's bytes are kept, not copied (Fetch copies a `BufferSource`); headers given
 * as a plain object are read when the response is sent. `x instanceof Response` is true for the
 * light ones and for Node's (a `fetch()` result); a class that `extends Response` builds light
 * ones with its own prototype.
 */
import { getNodeResponseClass } from './natives.js';

/** What the body was given as. */
export const BODY_NULL = 0;
export const BODY_TEXT = 1;
export const BODY_BYTES = 2;
export const BODY_STREAM = 3;
/** Anything else: Node's Response reads it (its content-type, its encoding). */
export const BODY_OTHER = 4;

export const kBody = Symbol('fc-container.response.body');
export const kKind = Symbol('fc-container.response.kind');
export const kStatus = Symbol('fc-container.response.status');
export const kStatusText = Symbol('fc-container.response.statusText');
export const kHeadersInit = Symbol('fc-container.response.headersInit');
export const kHeaders = Symbol('fc-container.response.headers');
export const kNative = Symbol('fc-container.response.native');

/** The Content-Type Fetch gives a string body (Fetch §5 "extract a body"). */
export const TEXT_CONTENT_TYPE = 'text/plain;charset=UTF-8';
/** Fetch's reason-phrase: HTAB, SP, VCHAR, obs-text (RFC 9112 §4). */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

type Body = string | Uint8Array | ReadableStream<Uint8Array> | null | unknown;

export const LightResponse = class Response {
  declare [kBody]: Body;
  declare [kKind]: number;
  declare [kStatus]: number;
  declare [kStatusText]: string;
  declare [kHeadersInit]: HeadersInit | undefined;
  declare [kHeaders]: Headers | undefined;
  declare [kNative]: globalThis.Response | undefined;

  constructor(body: BodyInit | null = null, init?: ResponseInit) {
    let status = 200;
    let statusText = '';
    let headers: HeadersInit | undefined;
    if (init !== undefined && init !== null) {
      if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('Response constructor: init must be an object');
      if (init.status !== undefined) status = checkStatus(init.status);
      if (init.statusText !== undefined) statusText = checkStatusText(init.statusText);
      headers = init.headers;
    }
    let kind: number;
    let kept: Body = body;
    if (body === null || body === undefined) {
      kind = BODY_NULL;
      kept = null;
    } else if (typeof body === 'string') {
      kind = BODY_TEXT;
    } else if (body instanceof Uint8Array) {
      kind = BODY_BYTES;
    } else if (body instanceof ArrayBuffer) {
      kind = BODY_BYTES;
      kept = new Uint8Array(body);
    } else if (ArrayBuffer.isView(body)) {
      kind = BODY_BYTES;
      kept = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    } else if (typeof (body as ReadableStream).getReader === 'function') {
      kind = BODY_STREAM;
    } else {
      kind = BODY_OTHER;
    }
    // Fetch §6.4: a null body status (101, 103, 204, 205, 304) cannot carry a body.
    if (kind !== BODY_NULL && (status === 204 || status === 205 || status === 304)) {
      throw new TypeError(`Response constructor: Invalid response status code ${status}`);
    }
    this[kBody] = kept;
    this[kKind] = kind;
    this[kStatus] = status;
    this[kStatusText] = statusText;
    this[kHeadersInit] = headers;
    this[kHeaders] = undefined;
    this[kNative] = undefined;
  }

  get status(): number {
    return this[kNative]?.status ?? this[kStatus];
  }

  get statusText(): string {
    return this[kNative]?.statusText ?? this[kStatusText];
  }

  get ok(): boolean {
    const status = this.status;
    return status >= 200 && status <= 299;
  }

  get type(): ResponseType {
    return this[kNative]?.type ?? 'default';
  }

  get url(): string {
    return this[kNative]?.url ?? '';
  }

  get redirected(): boolean {
    return this[kNative]?.redirected ?? false;
  }

  /** The headers as a `Headers` (Node's), made on first read; the response then sends those. */
  get headers(): Headers {
    const native = this[kNative];
    if (native !== undefined) return native.headers;
    // A body of another kind brings its own Content-Type (a form, a Blob's type): Node's says.
    if (this[kKind] === BODY_OTHER) return toNativeResponse(this).headers;
    let headers = this[kHeaders];
    if (headers === undefined) {
      headers = new globalThis.Headers(this[kHeadersInit]);
      if (this[kKind] === BODY_TEXT && !headers.has('content-type')) headers.set('content-type', TEXT_CONTENT_TYPE);
      this[kHeaders] = headers;
    }
    return headers;
  }

  get body(): ReadableStream<Uint8Array> | null {
    const kind = this[kKind];
    if (this[kNative] === undefined && kind === BODY_NULL) return null;
    return toNativeResponse(this).body;
  }

  get bodyUsed(): boolean {
    if (this[kNative] === undefined && this[kKind] === BODY_NULL) return false;
    return toNativeResponse(this).bodyUsed;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return toNativeResponse(this).arrayBuffer();
  }

  blob(): Promise<Blob> {
    return toNativeResponse(this).blob();
  }

  bytes(): Promise<Uint8Array> {
    const native = toNativeResponse(this) as globalThis.Response & { bytes?: () => Promise<Uint8Array> };
    return native.bytes === undefined ? native.arrayBuffer().then((buffer) => new Uint8Array(buffer)) : native.bytes();
  }

  formData(): Promise<FormData> {
    return toNativeResponse(this).formData();
  }

  json(): Promise<unknown> {
    return toNativeResponse(this).json();
  }

  text(): Promise<string> {
    return toNativeResponse(this).text();
  }

  clone(): globalThis.Response {
    return toNativeResponse(this).clone();
  }

  /** `instanceof Response`: the light ones and Node's (a `fetch()` result, `Response.error()`). */
  static [Symbol.hasInstance](this: unknown, value: unknown): boolean {
    if (this !== LightResponse) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (value === null || typeof value !== 'object') return false;
    return isLightResponse(value) || value instanceof getNodeResponseClass();
  }

  /** `Response.json(data, init)`: a light response with the JSON text, `application/json` unless init says otherwise. */
  static json(data: unknown, init?: ResponseInit): globalThis.Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the data is not JSON serializable');
    const given = init?.headers;
    let headers: HeadersInit;
    if (given === undefined) {
      headers = { 'content-type': 'application/json' };
    } else {
      const copy = new globalThis.Headers(given);
      if (!copy.has('content-type')) copy.set('content-type', 'application/json');
      headers = copy;
    }
    return new LightResponse(text, { status: init?.status, statusText: init?.statusText, headers }) as unknown as globalThis.Response;
  }

  /** `Response.redirect(url, status)`: a light response with `location` (an absolute URL, as Node parses it). */
  static redirect(url: string | URL, status = 302): globalThis.Response {
    const location = new URL(url).href;
    if (!REDIRECT_STATUSES.has(status)) throw new RangeError(`Response.redirect: invalid redirect status ${status}`);
    return new LightResponse(null, { status, headers: { location } }) as unknown as globalThis.Response;
  }

  /** `Response.error()`: Node's network error (status 0), which only Node's class can make. */
  static error(): globalThis.Response {
    return getNodeResponseClass().error();
  }
};

/** Whether `value` is a light response (or of a class that extends it). */
export function isLightResponse(value: object): value is InstanceType<typeof LightResponse> {
  return kKind in value;
}

/**
 * Node's own Response for a light one, built once: the body and status as given, the headers
 * made so far (or the init's). From then on the light response answers through it.
 */
export function toNativeResponse(response: InstanceType<typeof LightResponse>): globalThis.Response {
  let native = response[kNative];
  if (native === undefined) {
    const NodeResponse = getNodeResponseClass();
    native = new NodeResponse(response[kBody] as BodyInit | null, {
      status: response[kStatus],
      statusText: response[kStatusText],
      headers: response[kHeaders] ?? response[kHeadersInit],
    });
    response[kNative] = native;
  }
  return native;
}

function checkStatus(value: unknown): number {
  const status = typeof value === 'number' ? value : Number(value);
  if (Number.isInteger(status) && status >= 200 && status <= 599) return status;
  throw new RangeError(`Response constructor: init.status must be in the range 200 to 599, got ${String(value)}`);
}

function checkStatusText(value: unknown): string {
  const text = String(value);
  if (REASON_PHRASE.test(text)) return text;
  throw new TypeError('Response constructor: invalid statusText');
}
