/**
 * Node's timers as they were when the adapter loaded (lib/rules/timers.ts says why), declared
 * again here: dist/fetch.cjs carries no module from outside lib/fetch/.
 */
type Timers = typeof import('node:timers');

// `node:timers` without a require up front (Node 20.16+); before that, the globals as they are at load.
const nodeTimers = ((process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:timers') ?? globalThis) as Timers;

export const { setImmediate, clearImmediate } = nodeTimers;
