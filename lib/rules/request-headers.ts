/**
 * FC's request-header rules: which request headers an HTTP function never sees, and the one pass
 * over the raw request headers that the hot path makes.
 */
import type { IncomingMessage } from 'node:http';
import { UNCOUNTED_REQUEST_HEADERS } from './limits.js';

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
 * What one pass over the raw request headers learns, each field at its value for a header that is
 * absent. A class, not an interface: the runtime's per-request states (an HTTP request's, an
 * upgraded connection's) extend it, and the gateway makes one per request, so the defaults are
 * written once.
 */
export class RequestHeaderScan {
  /** Name + value bytes of every header but `x-fc-*` and `UNCOUNTED_REQUEST_HEADERS` (what FC's header limit counts). */
  headerBytes = 0;
  controlPath = '';
  requestId = '';
  basePath = '';
  /** `x-fc-function-timeout` in seconds; 0 when absent or not a positive number. */
  functionTimeout = 0;
  /** `x-fc-initialization-timeout` in seconds (sent on `/initialize`); 0 when absent or not a positive number. */
  initializationTimeout = 0;
  /** `content-length` as a number; -1 when absent. */
  contentLength = -1;
  /** Whether `transfer-encoding` is present (a body of unknown length follows). */
  chunked = false;
  /** Whether a `host` header is present (HTTP/1.1 requires one). */
  hasHost = false;
  /** Whether any of {@link HIDDEN_REQUEST_HEADERS} is present. */
  hasHiddenHeaders = false;
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
      if (isName(name, 'host')) out.hasHost = true;
    } else if (n === 14) {
      if (isName(name, 'content-length')) out.contentLength = Number(value);
    } else if (n === 17) {
      if (isName(name, 'transfer-encoding')) out.chunked = true;
    } else if (hiddenLengths.has(n)) {
      const lower = name.toLowerCase();
      if (hidden.has(lower)) {
        out.hasHiddenHeaders = true;
        if (UNCOUNTED_REQUEST_HEADERS.has(lower)) bytes -= n + value.length;
      }
    }
  }
  out.headerBytes = bytes;
}

/**
 * Whether `name` is `lower` (lower-case, of the same length) in any case, by char codes: no
 * string per header, where `toLowerCase()` makes one for every name a client capitalises (`Host`).
 * `| 0x20` lower-cases a letter and leaves `-` and digits; the one other char it maps onto `-`,
 * CR, cannot be in a name Node's parser accepted.
 */
function isName(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
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
      if (isName(name, 'x-fc-control-path')) out.controlPath = value;
      break;
    case 15:
      if (isName(name, 'x-fc-request-id')) out.requestId = value;
      break;
    case 14:
      if (isName(name, 'x-fc-base-path')) out.basePath = value;
      break;
    case 21:
      if (isName(name, 'x-fc-function-timeout')) out.functionTimeout = parseSeconds(value);
      break;
    case 27:
      if (isName(name, 'x-fc-initialization-timeout')) out.initializationTimeout = parseSeconds(value);
      break;
  }
}

/** A timeout header's seconds; 0 (no timeout) when it is not a positive finite number. */
function parseSeconds(value: string): number {
  const seconds = Number(value);
  return seconds > 0 && Number.isFinite(seconds) ? seconds : 0;
}

/**
 * Whether `raw` (name, value, ...) holds any of `names` (lower-case), in any case; `lengths`, the
 * names' lengths, spares the lower-casing of every other header.
 */
export function hasAnyHeader(raw: readonly string[], names: ReadonlySet<string>, lengths: ReadonlySet<number>): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (lengths.has(name.length) && names.has(name.toLowerCase())) return true;
  }
  return false;
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
