/**
 * FC's response-header rules: which response headers a function cannot set, and how the ones a
 * handler gives are moved, filtered and counted. The request side is request-headers.ts.
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { removePlatformHeader } from './remove-header.js';

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
