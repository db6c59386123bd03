/**
 * `options.formatConsole`: `console.log` and friends print FC's line format
 * (`<time> <requestId> [level] message`) while a handler runs, as FC's built-in Node.js runtime
 * does, so a migrated app's own logs carry the request id. Outside a handler they print as usual.
 * Under fc3 a line below the log level is dropped, as FC 3.0 drops it (runtime.ts says where).
 */
import { getContext } from './async-context.js';
import { kConsoleThreshold, kLogTime } from './context.js';
import { writeLogText } from './log-format.js';
import { formatLogLine, isLevelEnabled, redact, type LogLevel } from './logger.js';

const METHODS: readonly ['log' | 'info' | 'debug' | 'warn' | 'error', LogLevel][] = [
  ['log', 'info'],
  ['info', 'info'],
  ['debug', 'debug'],
  ['warn', 'warn'],
  ['error', 'error'],
];

let installed = false;

/**
 * Replaces `console.log`, `info`, `debug`, `warn` and `error` once per process. Each keeps the
 * original for calls outside a handler (no context). Lines go to stdout, like the markers, so the
 * order FC's console shows is the order they were printed in; secrets the runtime knows are
 * scrubbed from them.
 */
export function installConsoleFormat(): void {
  if (installed) return;
  installed = true;
  for (const [method, level] of METHODS) {
    const original = console[method].bind(console) as (...args: unknown[]) => void;
    console[method] = (...args: unknown[]): void => {
      const context = getContext();
      if (context === undefined) {
        original(...args);
        return;
      }
      const threshold = context[kConsoleThreshold];
      if (threshold !== undefined && !isLevelEnabled(threshold, level)) return;
      writeLogText(redact(formatLogLine(level, context.requestId, args, context[kLogTime]), context.secrets), context.requestId);
    };
  }
}
