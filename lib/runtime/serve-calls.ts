/**
 * What the CLI and a module that calls `serve()` itself share: the number of `serve()` calls, and
 * the CLI's options as the defaults of those calls. Kept on `globalThis` under registered symbols,
 * so they hold even when the module loaded another copy of the package (`require('fc-container')`
 * of the built files while the CLI runs from source).
 */
import type { Options } from './options.js';

const kServeCalls = Symbol.for('fc-container.serveCalls');
const kServeDefaults = Symbol.for('fc-container.serveDefaults');

type Counter = { [kServeCalls]?: number; [kServeDefaults]?: Options };

/** Sets the options `serve()` starts from (the command line's); a call's own options win. */
export function setServeDefaults(options: Options): void {
  (globalThis as Counter)[kServeDefaults] = options;
}

/** `options` over the defaults the CLI set, if any. */
export function withServeDefaults(options: Options): Options {
  const defaults = (globalThis as Counter)[kServeDefaults];
  return defaults === undefined ? options : { ...defaults, ...options };
}

/** Counts one `serve()` call. */
export function countServeCall(): void {
  const counter = globalThis as Counter;
  counter[kServeCalls] = (counter[kServeCalls] ?? 0) + 1;
}

/** How many times `serve()` has been called in this process, by any copy of the package. */
export function countServeCalls(): number {
  return (globalThis as Counter)[kServeCalls] ?? 0;
}
