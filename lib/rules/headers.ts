/**
 * FC's header rules: which request headers an HTTP function never sees, which response headers a
 * function cannot set, and the one pass over the raw request headers that the hot path makes.
 */
import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { UNCOUNTED_REQUEST_HEADERS } from './limits.js';
import { removePlatformHeader } from './remove-header.js';

/**
 * Request headers FC never forwards to an HTTP function (seed: "Request Headers 不支持...").
 * Hiding `accept-encoding` also keeps compression middleware from producing bodies FC would
 * mangle. `transfer-encoding` stays: it frames the body the handler reads.
 */
export const HIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept-encoding',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'te',
  'trailer',
]);

/**
 * Fields that describe one connection, not the message (RFC 9110 §7.6.1): the Fetch adapter
 * copies none of them between a Node message and a Request or Response, as a proxy must not
 * forward them (and Node's fetch refuses a Request carrying most of them).
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/**
 * Response headers a function cannot set (seed: "Response Headers 不支持..."), besides every
 * `x-fc-*` but `x-fc-status`. The server frames the body itself. `content-disposition` is left
 * alone on purpose: FC forces `attachment` on its default domain only, and an app's own download
 * must keep working on a custom domain.
 */
export const FORBIDDEN_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'content-encoding',
  'date',
  'keep-alive',
  'proxy-authenticate',
  'server',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** True for a lower-case response header name a function may not set (`forbidden`: a profile's list). */
export function isForbiddenResponseHeader(name: string, forbidden: ReadonlySet<string> = FORBIDDEN_RESPONSE_HEADERS): boolean {
  if (name.startsWith('x-fc-')) return name !== 'x-fc-status';
  return forbidden.has(name);
}

/** Forbidden response headers the framing replaces with their true values: no side warns about them. */
export const FRAMING_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding']);

/** Forbidden response headers every HTTP server adds itself: the gateway, which sees the wire, does not warn. */
export const SERVER_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['connection', 'date', 'keep-alive']);

/** A response header name's class: `allowed`, or forbidden as `framing`, `server` or `platform` (any other; worth a warning). */
export type ResponseHeaderClass = 'allowed' | 'framing' | 'server' | 'platform';

/** Classifies a lower-case response header name (see {@link ResponseHeaderClass}; `forbidden`: a profile's list). */
export function classifyResponseHeader(name: string, forbidden: ReadonlySet<string> = FORBIDDEN_RESPONSE_HEADERS): ResponseHeaderClass {
  if (!isForbiddenResponseHeader(name, forbidden)) return 'allowed';
  if (FRAMING_RESPONSE_HEADERS.has(name)) return 'framing';
  return SERVER_RESPONSE_HEADERS.has(name) ? 'server' : 'platform';
}

/** What one pass over the raw request headers learns. */
export interface RequestHeaderScan {
  /** Name + value bytes of every header but `x-fc-*` and `UNCOUNTED_REQUEST_HEADERS` (what FC's header limit counts). */
  headerBytes: number;
  controlPath: string;
  requestId: string;
  basePath: string;
  /** `x-fc-function-timeout` in seconds; 0 when absent or not a positive number. */
  functionTimeout: number;
  /** `x-fc-initialization-timeout` in seconds (sent on `/initialize`); 0 when absent or not a positive number. */
  initializationTimeout: number;
  /** `content-length` as a number; -1 when absent. */
  contentLength: number;
  /** Whether `transfer-encoding` is present (a body of unknown length follows). */
  chunked: boolean;
  /** Whether a `host` header is present (HTTP/1.1 requires one). */
  hasHost: boolean;
  /** Whether any of {@link HIDDEN_REQUEST_HEADERS} is present. */
  hasHiddenHeaders: boolean;
}

/** Lengths of the hidden request header names, to skip the string compare for every other header. */
export const HIDDEN_NAME_LENGTHS: ReadonlySet<number> = new Set([...HIDDEN_REQUEST_HEADERS].map((name) => name.length));

/**
 * One pass over `req.rawHeaders` (name, value, name, value, ...), which Node keeps as strings
 * decoded one byte per character, so `.length` is the byte count. Header names arrive in any case
 * from a local client; FC sends them lower-case. `hidden` and `hiddenLengths` are a profile's list and its names' lengths.
 */
export function scanRequestHeaders(raw: string[], out: RequestHeaderScan, hidden = HIDDEN_REQUEST_HEADERS, hiddenLengths = HIDDEN_NAME_LENGTHS): void {
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const n = name.length;
    if (n > 5 && isFcPrefix(name)) {
      readFcHeader(name, value, out);
      continue;
    }
    bytes += n + value.length;
    if (n === 4) {
      if (name.toLowerCase() === 'host') out.hasHost = true;
    } else if (n === 14) {
      if (name.toLowerCase() === 'content-length') out.contentLength = Number(value);
    } else if (n === 17) {
      if (name.toLowerCase() === 'transfer-encoding') out.chunked = true;
    } else if (hiddenLengths.has(n) && hidden.has(name.toLowerCase())) {
      out.hasHiddenHeaders = true;
      if (UNCOUNTED_REQUEST_HEADERS.has(name.toLowerCase())) bytes -= n + value.length;
    }
  }
  out.headerBytes = bytes;
}

/** `x-fc-` in any case, by char codes (no allocation). */
function isFcPrefix(name: string): boolean {
  return (name.charCodeAt(0) | 0x20) === 0x78 /* x */
    && name.charCodeAt(1) === 0x2d /* - */
    && (name.charCodeAt(2) | 0x20) === 0x66 /* f */
    && (name.charCodeAt(3) | 0x20) === 0x63 /* c */
    && name.charCodeAt(4) === 0x2d;
}

function readFcHeader(name: string, value: string, out: RequestHeaderScan): void {
  switch (name.length) {
    case 17:
      if (name.toLowerCase() === 'x-fc-control-path') out.controlPath = value;
      break;
    case 15:
      if (name.toLowerCase() === 'x-fc-request-id') out.requestId = value;
      break;
    case 14:
      if (name.toLowerCase() === 'x-fc-base-path') out.basePath = value;
      break;
    case 21:
      if (name.toLowerCase() === 'x-fc-function-timeout') out.functionTimeout = parseSeconds(value);
      break;
    case 27:
      if (name.toLowerCase() === 'x-fc-initialization-timeout') out.initializationTimeout = parseSeconds(value);
      break;
  }
}

/** A timeout header's seconds; 0 (no timeout) when it is not a positive finite number. */
function parseSeconds(value: string): number {
  const seconds = Number(value);
  return seconds > 0 && Number.isFinite(seconds) ? seconds : 0;
}

/**
 * Removes {@link HIDDEN_REQUEST_HEADERS} from what an HTTP function sees: `headers`,
 * `headersDistinct` and `rawHeaders`. Node quirk: both objects are built lazily by looping over
 * `rawHeaders` up to the header count Node stored when parsing, so they are built first (from the
 * full list) and trimmed after; a shorter `rawHeaders` read later would run past its end.
 */
export function hideRequestHeaders(req: IncomingMessage, hidden = HIDDEN_REQUEST_HEADERS): void {
  const { headers, headersDistinct } = req;
  for (const name of hidden) {
    delete headers[name];
    delete headersDistinct[name];
  }
  const raw = req.rawHeaders;
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!hidden.has(raw[i]!.toLowerCase())) kept.push(raw[i]!, raw[i + 1]!);
  }
  req.rawHeaders = kept;
}

/**
 * Moves the headers given to `writeHead(status, headers)` onto the response, so the rules see one
 * list whichever way the handler set them. Accepts the object form and both array forms Node
 * accepts (`[name, value, ...]` and `[[name, value], ...]`); repeated names are appended, so
 * several `set-cookie` stay several.
 */
export function applyWriteHeadHeaders(
  res: ServerResponse,
  headers: Record<string, OutgoingHttpHeader | undefined> | OutgoingHttpHeader[] | readonly (readonly [string, OutgoingHttpHeader])[],
): void {
  if (Array.isArray(headers)) {
    if (headers.length === 0) return;
    if (Array.isArray(headers[0])) {
      for (const pair of headers as [string, OutgoingHttpHeader][]) appendHeaderValue(res, pair[0], pair[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) appendHeaderValue(res, String(headers[i]), headers[i + 1] as OutgoingHttpHeader);
    }
    return;
  }
  for (const name in headers) {
    const value = (headers as Record<string, OutgoingHttpHeader | undefined>)[name];
    if (value !== undefined) res.setHeader(name, value);
  }
}

function appendHeaderValue(res: ServerResponse, name: string, value: OutgoingHttpHeader): void {
  if (res.hasHeader(name)) res.appendHeader(name, value as string | string[]);
  else res.setHeader(name, value);
}

/** Node's private `kOutHeaders` slot (lib/_http_outgoing.js); undefined until looked up, null when absent. */
let kOutHeaders: symbol | null | undefined;

/**
 * Whether nothing was set on `res` through `setHeader`/`appendHeader`, read from Node's private
 * `kOutHeaders` slot (null until the first header). False when this Node has no such slot, so
 * callers fall back to the path that sees every header.
 */
export function holdsNoHeaders(res: ServerResponse): boolean {
  if (kOutHeaders === undefined) {
    kOutHeaders = Object.getOwnPropertySymbols(res).find((symbol) => symbol.description === 'kOutHeaders') ?? null;
  }
  return kOutHeaders !== null && (res as unknown as Record<symbol, unknown>)[kOutHeaders] === null;
}

/**
 * The object given to `writeHead(status, headers)` without the names a function may not set under
 * `forbidden` (each heard by `onStripped` with `owner`) and without undefined values, as
 * {@link applyWriteHeadHeaders} skips them: the object itself when nothing is to go, else a copy.
 * For a response that {@link holdsNoHeaders}, this lets Node write the headers straight from the
 * object, without storing each one first.
 */
export function filterHeaderObject<T>(headers: OutgoingHttpHeaders, owner: T, onStripped: (owner: T, name: string) => void, forbidden = FORBIDDEN_RESPONSE_HEADERS): OutgoingHttpHeaders {
  let kept: OutgoingHttpHeaders | undefined;
  for (const name in headers) {
    const value = headers[name];
    let drop = value === undefined;
    if (!drop) {
      const lower = name.toLowerCase();
      drop = isForbiddenResponseHeader(lower, forbidden);
      if (drop) onStripped(owner, lower);
    }
    if (drop && kept === undefined) {
      kept = {};
      for (const earlier in headers) {
        if (earlier === name) break;
        kept[earlier] = headers[earlier];
      }
    } else if (!drop && kept !== undefined) {
      kept[name] = value;
    }
  }
  return kept ?? headers;
}

/** Bytes of a header object as {@link stripResponseHeaders} counts them. */
export function countHeaderBytes(headers: OutgoingHttpHeaders): number {
  let bytes = 0;
  for (const name in headers) bytes += countHeaderLineBytes(name, headers[name]);
  return bytes;
}

/**
 * Name + value bytes of one header as Node writes it: each value of an array is a line of its own
 * and counts the name again. Node writes header strings one byte per character, so `.length` is
 * the byte count.
 */
function countHeaderLineBytes(name: string, value: OutgoingHttpHeader | undefined): number {
  if (!Array.isArray(value)) return name.length + String(value).length;
  let bytes = 0;
  for (const item of value) bytes += name.length + String(item).length;
  return bytes;
}

/**
 * Strips the forbidden response headers from `res` and returns the bytes (name + value, summed
 * per line, so each value of an array counts its name again; Node writes header strings one
 * byte per character, so `.length` is the byte count) of what is left: the figure FC's
 * response-header limit applies to. `onStripped` hears each removed name with `owner`; `forbidden` is a profile's list.
 */
export function stripResponseHeaders<T>(res: ServerResponse, owner: T, onStripped: (owner: T, name: string) => void, forbidden = FORBIDDEN_RESPONSE_HEADERS): number {
  let bytes = 0;
  for (const name of res.getHeaderNames()) {
    if (isForbiddenResponseHeader(name, forbidden)) {
      removePlatformHeader(res, name);
      onStripped(owner, name);
      continue;
    }
    bytes += countHeaderLineBytes(name, res.getHeader(name) as OutgoingHttpHeader | undefined);
  }
  return bytes;
}
