/** Internal slots of Node's own `Request` and `Response` the adapter reads, when they exist. */

// Two shortcuts into Node's own fetch classes (undici), each found by probing once when this
// module loads and skipped, for the plain public API, when the probe finds nothing:
//
// - the slot where a Request keeps its signal. Handing undici a signal to follow
//   (`init.signal`) costs it a WeakRef, a FinalizationRegistry entry and a listener per request,
//   and an AbortSignal alone costs microseconds in Node 20; so the slot is an accessor on
//   {@link FetchRequest}'s prototype that answers with this request's own controller's signal,
//   created by Node only when read. `request.signal`, `request.clone()`, `new Request(request)`
//   and `fetch(request)` all read the slot, so a proxied request is aborted with the client.
// - the state where a Response keeps the string or bytes it was built from (`new Response(text)`,
//   `Response.json()`, Hono's `c.json()`/`c.text()`): sent in one `end()`, without reading the
//   body through a stream reader.

/** The own symbol-keyed property of `object` whose value passes `test`. */
function findSymbol(object: object, test: (value: unknown) => boolean): symbol | undefined {
  for (const key of Object.getOwnPropertySymbols(object)) {
    if (test((object as Record<symbol, unknown>)[key])) return key;
  }
  return undefined;
}

const probeRequest = new Request('http://localhost/');
export const kRequestSignal = findSymbol(probeRequest, (value) => value === probeRequest.signal);

export interface BodyState { body?: { source?: unknown; stream?: unknown } | null }
const PROBE_TEXT = 'fc-container';
const probeResponse = new Response(PROBE_TEXT);
export const kResponseState = findSymbol(probeResponse, (value) => {
  const body = (value as BodyState | null)?.body;
  return body?.source === PROBE_TEXT && body.stream === probeResponse.body;
});
