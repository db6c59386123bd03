/**
 * FC's request and response limits as checks over plain values, so the gateway side (the local
 * emulator, which sees a client's request and a container's raw response) applies the same rules,
 * with the same messages, as the runtime inside the container (listener.ts).
 */
import { createBodyLimitError } from './body.js';
import { GatewayError, LimitError } from './errors.js';
import { isForbiddenResponseHeader } from './headers.js';
import type { Limits } from './limits.js';

/**
 * The first limit a request breaks, if any: the request target (path, `?` and query), then the
 * header bytes (as `scanRequestHeaders` counts them: names + values, `x-fc-*` and the hop-by-hop
 * `UNCOUNTED_REQUEST_HEADERS` excluded, so the gateway and the runtime behind it count alike), then a
 * declared `content-length` (-1: none declared).
 */
export function checkRequestLimits(url: string, headerBytes: number, contentLength: number, limits: Limits): LimitError | undefined {
  if (url.length > limits.path) {
    return new LimitError('FC_PATH_TOO_LONG', `Request path is ${url.length} bytes; the limit is ${limits.path} bytes`, limits.path, url.length);
  }
  if (headerBytes > limits.requestHeaders) {
    return new LimitError('FC_REQUEST_HEADERS_TOO_LARGE',
      `Request headers are ${headerBytes} bytes (names and values, x-fc-* excluded); the limit is ${limits.requestHeaders} bytes`,
      limits.requestHeaders, headerBytes);
  }
  if (contentLength > limits.body) return createBodyLimitError(limits.body, contentLength, true);
  return undefined;
}

/** FC's 502 `BadResponse` for response headers over the limit (bytes counted after stripping). */
export function createResponseHeadersError(bytes: number, limit: number): GatewayError {
  return new GatewayError('FC_RESPONSE_HEADERS_TOO_LARGE',
    `Response headers are ${bytes} bytes (names and values, after stripping); the limit is ${limit} bytes`, limit, bytes);
}

/** A response's raw headers after FC's rules. */
export interface FilteredResponseHeaders {
  /** What is left, flat (`[name, value, name, value, ...]`), names lower-cased, repeats kept. */
  kept: string[];
  /** Name + value bytes of what is left, one line at a time: the figure the response-header limit applies to. */
  bytes: number;
  /** The lower-cased names removed (each once). */
  stripped: string[];
}

/**
 * Applies FC's response-header rules to raw headers (`IncomingMessage.rawHeaders`, strings decoded
 * one byte per character): removes the headers `isRemoved` names (by default those a function
 * cannot set, {@link isForbiddenResponseHeader}; the gateway passes its profile's rule) and counts
 * what is left as `stripResponseHeaders` counts a response the runtime writes.
 */
export function filterResponseHeaders(raw: readonly string[], isRemoved: (name: string) => boolean = isForbiddenResponseHeader): FilteredResponseHeaders {
  const kept: string[] = [];
  const stripped: string[] = [];
  let bytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (isRemoved(name)) {
      if (!stripped.includes(name)) stripped.push(name);
      continue;
    }
    bytes += name.length + value.length;
    kept.push(name, value);
  }
  return { kept, bytes, stripped };
}
