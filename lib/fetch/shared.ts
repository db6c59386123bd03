/** The adapter's one piece of module state: what the runtime injects into `createFetchListener`. */

/**
 * What the adapter takes from the runtime. Injected, never imported: dist/fetch.cjs is its own
 * bundle, and an import of a runtime or rules module would give it a copy of that module (a
 * second `GatewayError` class the runtime would not recognise).
 */
export interface FetchShared {
  /** FC's 400 for a request no `Request` can represent (the runtime's `GatewayError`). */
  badRequest(message: string): Error;
  /** Hop-by-hop header names (RFC 9110 §7.6.1), lower case: they never cross the adapter. */
  hopByHopHeaders: ReadonlySet<string>;
}

/** Set by {@link createFetchListener}; the same values for every runtime of the process. */
export let shared: FetchShared;

/** Keeps what the runtime hands `createFetchListener`; an ES module binding is set only here. */
export function installShared(runtimeShared: FetchShared): void {
  shared = runtimeShared;
}
