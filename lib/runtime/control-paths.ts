/**
 * What a request is: an event invocation, the Initializer, a lifecycle hook or an HTTP request,
 * read from FC's `x-fc-control-path` or, for a local client, from the method and path; and the
 * base path FC's default domain puts in front of an HTTP function's URL.
 */

/** What a request is, decided from `x-fc-control-path`, else from its method and path. */
export const ROUTE_HTTP = 0;
export const ROUTE_INVOKE = 1;
export const ROUTE_INITIALIZE = 2;
export const ROUTE_PRE_STOP = 3;
export const ROUTE_PRE_FREEZE = 4;
export type Route = 0 | 1 | 2 | 3 | 4;

/**
 * Decides the route. FC says what it sends in `x-fc-control-path`; a local client sends none, so
 * the wire decides: `POST /invoke`, `POST /initialize`, `GET /pre-stop`, `GET /pre-freeze`, and
 * everything else is an HTTP request. A query string does not change the route.
 */
export function resolveControlPath(controlPath: string, method: string | undefined, url: string): Route {
  switch (controlPath) {
    case '/invoke': return ROUTE_INVOKE;
    case '/http-invoke': return ROUTE_HTTP;
    case '/initialize': return ROUTE_INITIALIZE;
    case '/pre-stop': return ROUTE_PRE_STOP;
    case '/pre-freeze': return ROUTE_PRE_FREEZE;
  }
  // Only paths starting "/i" or "/p" can be control paths: skip the slicing for every other URL.
  const second = url.charCodeAt(1);
  if (second !== 0x69 && second !== 0x70) return ROUTE_HTTP;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (method === 'POST') {
    if (path === '/invoke') return ROUTE_INVOKE;
    if (path === '/initialize') return ROUTE_INITIALIZE;
  } else if (method === 'GET') {
    if (path === '/pre-stop') return ROUTE_PRE_STOP;
    if (path === '/pre-freeze') return ROUTE_PRE_FREEZE;
  }
  return ROUTE_HTTP;
}

/**
 * Removes FC's default-domain prefix from a request target: with base path
 * `/2016-08-15/proxy/svc/fn/`, `/2016-08-15/proxy/svc/fn/api?x=1` becomes `/api?x=1` and the bare
 * `/2016-08-15/proxy/svc/fn` becomes `/`. A target that does not start with it is left alone.
 */
export function stripBasePath(url: string, basePath: string): string {
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  if (!base || !url.startsWith(base)) return url;
  const rest = url.slice(base.length);
  if (rest === '') return '/';
  const next = rest.charCodeAt(0);
  if (next === 0x2f /* / */) return rest;
  if (next === 0x3f /* ? */) return '/' + rest;
  return url;
}
