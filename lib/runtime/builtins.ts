/**
 * Node built-ins the runtime needs only on some paths (formatting a log line, an uncaught error,
 * `getContext()`), fetched synchronously on first use. A static `import 'node:util'` costs every
 * instance ~0.6 ms at cold start (Node builds an ES module facade and loads `lib/util.js`) even if
 * nothing is ever formatted; `process.getBuiltinModule` (Node >= 20.16) returns the CommonJS
 * module without either. On an older Node 20 the bundle's own `require` does the same: the package
 * ships as CommonJS (dist/*.cjs, which `import` reaches too), so no top-level `await` is needed
 * and `require('fc-container')` works on every Node 20. (From source, under tsx, the modules are
 * ES modules with no `require`; the specs run on a Node that has `getBuiltinModule`.)
 */
import type * as AsyncHooks from 'node:async_hooks';
import type * as Util from 'node:util';

type GetBuiltin = (id: string) => unknown;

const getBuiltin: GetBuiltin = (process as { getBuiltinModule?: GetBuiltin }).getBuiltinModule?.bind(process)
  ?? require;

/** `node:util`. */
export function getUtil(): typeof Util {
  return getBuiltin('node:util') as typeof Util;
}

/** `node:events` (the part used here). */
export function getEvents(): { setMaxListeners(n: number, ...targets: EventTarget[]): void } {
  return getBuiltin('node:events') as ReturnType<typeof getEvents>;
}

/** `node:async_hooks`. */
export function getAsyncHooks(): typeof AsyncHooks {
  return getBuiltin('node:async_hooks') as typeof AsyncHooks;
}
