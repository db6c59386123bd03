/**
 * `getContext()`: the current request's context from anywhere in a handler's call chain, through
 * AsyncLocalStorage. Opt-in (`options.asyncContext`), because on Node 20 each `run()` costs
 * throughput on every request; the storage, and `node:async_hooks` itself, are loaded only when a
 * server asks for them, so a function without it does not pay for them at cold start.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import { getAsyncHooks } from './builtins.js';
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
  if (storage) return storage;
  const { AsyncLocalStorage: Storage } = getAsyncHooks();
  return storage = new Storage<Context>();
}
