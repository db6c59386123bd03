/**
 * The handler's response once the runtime has answered it itself: a function timeout, a refused
 * or stalled body, a failure. The handler still holds `res` and may go on writing (an Express
 * route finishing after its 504, an `'error'` listener answering its own 413). On a plain Node
 * server those late calls throw `ERR_HTTP_HEADERS_SENT`, from a timer an uncaught exception that
 * would end the instance and every request in flight; they must not change the runtime's answer
 * either. So they are ignored, as `context.signal` has told the handler to stop, and the runtime
 * writes its own answer through {@link asRuntime}.
 */
import { ServerResponse } from 'node:http';

/** Node's own methods, which the no-ops forward to while the runtime writes its answer. */
const NODE_METHODS = ServerResponse.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;

/** Set while a sender made by {@link asRuntime} runs. */
let runtimeWriting = false;

/**
 * Wraps a sender of the runtime's own answer so that, while it runs, a detached response's no-ops
 * forward to Node: Node calls methods on the response itself (`writeHead` with headers already
 * stored calls `this.setHeader`, `end` calls `this.writeHead` through `_implicitHeader`).
 */
export function asRuntime<A, B>(sender: (res: ServerResponse, a: A, b: B) => void): (res: ServerResponse, a: A, b: B) => void {
  return function sendAsRuntime(res, a, b) {
    runtimeWriting = true;
    try {
      sender(res, a, b);
    } finally {
      runtimeWriting = false;
    }
  };
}

/** Methods that return the response (chainable in Node). */
const CHAINABLE = ['writeHead', 'setHeader', 'setHeaders', 'appendHeader', 'end', 'destroy'];
/** Methods whose result nobody reads, or a boolean: `write` answers true so no caller waits for `'drain'`. */
const SILENT = ['removeHeader', 'flushHeaders', 'addTrailers', 'writeContinue', 'writeProcessing', 'writeEarlyHints', 'write'];

const kOnLateCall = Symbol('fc-container.onLateCall');
type DetachedResponse = ServerResponse & { [kOnLateCall]?: (res: ServerResponse, method: string) => void };

/** The no-op for each method, made once. */
const IGNORED: [string, (this: DetachedResponse, ...args: unknown[]) => unknown][] = [
  ...CHAINABLE.map((name) => [name, function ignoredCall(this: DetachedResponse, ...args: unknown[]) {
    if (runtimeWriting) return NODE_METHODS[name]!.apply(this, args);
    reportLateCall(this, name, args);
    return this;
  }] as [string, (this: DetachedResponse, ...args: unknown[]) => unknown]),
  ...SILENT.map((name) => [name, function ignoredCall(this: DetachedResponse, ...args: unknown[]) {
    if (runtimeWriting) return NODE_METHODS[name]!.apply(this, args);
    reportLateCall(this, name, args);
    return true;
  }] as [string, (this: DetachedResponse, ...args: unknown[]) => unknown]),
];

/**
 * Makes every later call of the handler on `res` a no-op that reports itself once through
 * `onLateCall` (the runtime logs it). A callback given to `write` or `end` is still called, on
 * the next tick, so code waiting on it moves on. Own properties, as the runtime's other
 * overrides: Express swaps the response's prototype for its own. Idempotent.
 */
export function ignoreLateCalls(res: ServerResponse, onLateCall: (res: ServerResponse, method: string) => void): void {
  const detached = res as DetachedResponse;
  if (detached[kOnLateCall]) return;
  detached[kOnLateCall] = onLateCall;
  for (const [name, ignored] of IGNORED) (res as unknown as Record<string, unknown>)[name] = ignored;
}

function reportLateCall(res: DetachedResponse, name: string, args: unknown[]): void {
  const onLateCall = res[kOnLateCall];
  if (onLateCall) {
    // Once per response: a streaming handler could call write thousands of times.
    res[kOnLateCall] = noop;
    onLateCall(res, name);
  }
  if (name === 'write' || name === 'end') {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') process.nextTick(callback as () => void);
  }
}

function noop(): void {}
