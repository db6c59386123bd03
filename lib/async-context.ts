/**
 * `getContext()`: the current request's context from anywhere in a handler's call chain, through
 * AsyncLocalStorage. Opt-in (`options.asyncContext`), because on Node 20 each `run()` costs
 * throughput on every request; the storage is created only when a server asks for it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from './context.js';

let storage: AsyncLocalStorage<Context> | undefined;

/**
 * The context of the request whose handler is running, or `undefined` outside any handler and
 * when no server was created with `asyncContext: true`. Works across `await`, timers and
 * callbacks started from the handler, so a migrated app can log FC's request id from deep inside.
 */
export function getContext(): Context | undefined {
  return storage?.getStore();
}

/** The one storage shared by every server that enables `asyncContext`. */
export function getContextStorage(): AsyncLocalStorage<Context> {
  return storage ??= new AsyncLocalStorage<Context>();
}
