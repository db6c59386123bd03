/**
 * FC's header rules as the gateway applies them under a profile (lib/rules/profile.ts): which of
 * a caller's request headers reach the container, and which of the container's response headers
 * reach the caller, counted for the response-header limit.
 */
import { filterResponseHeaders, type FilteredResponseHeaders } from '../rules/limit-checks.js';
import { isForbiddenResponseHeaderIn, type Profile, type ProfileRules } from '../rules/profile.js';

/**
 * Request headers the gateway drops in every profile, besides the profile's hidden ones and every
 * `x-fc-*`: the body's framing, which it redoes (it sends the whole body with its length, so a
 * `trailer` announcing trailers it never sends would be a lie Node refuses to write), and the
 * hop-by-hop fields that cannot cross to a new connection.
 */
const REFRAMED_REQUEST_HEADERS = ['transfer-encoding', 'content-length', 'trailer', 'expect', 'upgrade', 'proxy-connection'];

const DROPPED = new Map<Profile, ReadonlySet<string>>();

/** Lower-case request header names the gateway never forwards under `rules` (`x-fc-*` aside, dropped always). */
export function droppedRequestHeaders(rules: ProfileRules): ReadonlySet<string> {
  let dropped = DROPPED.get(rules.name);
  if (!dropped) {
    dropped = new Set([...rules.hiddenRequestHeaders, ...REFRAMED_REQUEST_HEADERS]);
    DROPPED.set(rules.name, dropped);
  }
  return dropped;
}

/**
 * The caller's request headers the container gets: all but `x-fc-*` and `dropped` (a name in
 * `keep` passes even so: a WebSocket handshake's own `Connection` and `Upgrade`), repeated names
 * kept as arrays. `declaredLength`: whether the caller sent a `content-length`.
 */
export function copyCallerHeaders(raw: readonly string[], dropped: ReadonlySet<string>, keep?: ReadonlySet<string>): { headers: Record<string, string | string[]>; declaredLength: boolean } {
  const headers: Record<string, string | string[]> = {};
  let declaredLength = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'content-length') declaredLength = true;
    if (name.startsWith('x-fc-') || (dropped.has(name) && !keep?.has(name))) continue;
    const value = raw[i + 1]!;
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return { headers, declaredLength };
}

/**
 * Response headers the gateway removes in every profile besides the forbidden ones: `trailer`,
 * as the answer is held whole and sent with its length, without trailers (Node refuses a `trailer`
 * header on a response with a length). Framing, so never warned about.
 */
const REFRAMED_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['trailer']);

/**
 * Applies `rules` to a response's raw headers (strings one byte per character): removes what a
 * function cannot set under them, and counts what is left, name + value per line, as the runtime
 * counts a response it writes.
 */
export function filterResponseHeadersIn(rules: ProfileRules, raw: readonly string[]): FilteredResponseHeaders {
  return filterResponseHeaders(raw, (name) => isForbiddenResponseHeaderIn(rules, name) || REFRAMED_RESPONSE_HEADERS.has(name));
}
