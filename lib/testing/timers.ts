/**
 * The testing client under a test runner's fake timers. The runtime schedules with `node:timers`,
 * which Jest's and Vitest's fake timers (@sinonjs/fake-timers) leave alone, so faked
 * `setTimeout`/`setImmediate`/`Date` are fine. Faked `process.nextTick` or `queueMicrotask` are
 * not: Node's own streams and sockets use them, and every request would hang. The fakes carry a
 * `clock` property (fake-timers' `hijackMethod`), which is how they are told apart.
 */

/** Throws at once, naming the fix, when `process.nextTick` or `queueMicrotask` is faked. */
export function checkRealTimers(): void {
  for (const [name, fn] of [['process.nextTick', process.nextTick], ['queueMicrotask', globalThis.queueMicrotask]] as const) {
    if (typeof fn === 'function' && 'clock' in fn) {
      throw new Error(`fc-container/testing: ${name} is faked by the test runner's fake timers, and Node's sockets need the real one; `
        + 'keep it real (Jest: jest.useFakeTimers({ doNotFake: [\'nextTick\', \'queueMicrotask\'] }); Vitest fakes neither by default)');
    }
  }
}
