/**
 * Node's timers as they were when the package loaded, for everything the runtime schedules. A
 * test runner's fake timers replace the globals (Jest, Vitest) or even `node:timers`'
 * exports (node:test's `mock.timers`) later; the runtime's markers, timeouts and lingers must keep
 * real time under them, or a test's requests would hang (fc-container/testing).
 */
type Timers = typeof import('node:timers');

// `node:timers` without a require up front (Node 20.16+); before that, the globals as they are at load.
const nodeTimers = ((process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.('node:timers') ?? globalThis) as Timers;

export const { setTimeout, clearTimeout, setImmediate, clearImmediate, setInterval, clearInterval } = nodeTimers;
