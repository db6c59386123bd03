/**
 * Calling a handler: the Initializer first, if it has not succeeded yet, and the handler inside
 * the context storage when `asyncContext` is on.
 */
import type { Context } from './context.js';
import { ROUTE_HTTP } from './control-paths.js';
import { failInvocation } from './failures.js';
import type { Invocation } from './invocation.js';
import type { Payload } from '../rules/result.js';
import type { Runtime } from './runtime.js';

/**
 * Whether the Initializer still has to succeed before the handler runs. Checked before awaiting
 * {@link ensureInitialized}, so a warm request calls its handler in the same turn, with no
 * promise or microtask in between.
 */
export function needsInitializer(inv: Invocation): boolean {
  const { gate } = inv.runtime;
  return gate !== undefined && !gate.payload;
}

/** Makes sure the Initializer has succeeded; on failure answers the request and returns false. */
export async function ensureInitialized(inv: Invocation): Promise<boolean> {
  try {
    await runInitializer(inv);
    return true;
  } catch (error) {
    failInvocation(inv, error, inv.route === ROUTE_HTTP ? 500 : 404);
    return false;
  }
}

/** Runs the Initializer through its gate, inside the context storage when `asyncContext` is on. */
export function runInitializer(inv: Invocation): Promise<Payload> {
  const { storage, gate } = inv.runtime;
  return storage ? storage.run(inv.context, runGate, gate!, inv.context) : gate!.run(inv.context);
}

function runGate(gate: NonNullable<Runtime['gate']>, context: Context): Promise<Payload> {
  return gate.run(context);
}

/**
 * Calls a handler with its arguments, inside the context storage when `asyncContext` is on.
 * `AsyncLocalStorage.run(store, fn, ...args)` takes the arguments, so no closure is made.
 */
export function callHandler<A extends unknown[]>(inv: Invocation, handler: (...args: A) => unknown, ...args: A): unknown {
  const { storage } = inv.runtime;
  return storage ? storage.run(inv.context, handler, ...args) : handler(...args);
}
