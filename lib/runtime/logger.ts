/**
 * Log lines in FC's format, and the logger handed to handlers. They go to stdout through
 * `writeOut` (output.ts), the same sink as FC's request markers, so they keep their order.
 */
import { getUtil } from './builtins.js';
import { formatIsoTime, writeLogText, type LogTimeFormat } from './log-format.js';
import { redact } from '../rules/redact.js';

export { readEnvironmentSecrets, redact, REDACTED } from '../rules/redact.js';

/** The levels of {@link Logger}, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What `options.logLevel` accepts: a level, or `'silent'` for no log lines (markers are separate). */
export type LogThreshold = LogLevel | 'silent';

/** The four request kinds FC's markers name. */
export type MarkerKind = 'Initialize' | 'Invoke' | 'PreFreeze' | 'PreStop';

const LEVEL_RANK: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** True when a line at `level` passes `threshold`. */
export function isLevelEnabled(threshold: LogThreshold, level: LogLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[threshold];
}

/** A logger with FC's line format: `<UTC ISO time> <requestId> [<level>] <message>`. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  /** Same as `info`, as in FC's built-in Node.js runtime. */
  log(...args: unknown[]): void;
}

/**
 * Formats one log line as FC's built-in Node.js runtime does
 * (`2023-04-01T10:04:19.024Z 19b3...2f4e [info] hello,fc`; FC 3.0's time is `time`'s, see
 * log-format.ts), the level in lower case as that runtime prints it. `message` is formatted like
 * `console.log` (`%s`, `%o`, objects inspected).
 */
export function formatLogLine(level: LogLevel, requestId: string, args: readonly unknown[], time: LogTimeFormat = formatIsoTime): string {
  return time(new Date()) + ' ' + requestId + ' [' + level + '] ' + getUtil().format(...args) + '\n';
}

/**
 * The logger handed to handlers as `context.logger`, and the one the runtime writes its own
 * warnings with. Lines below `threshold` are dropped; each line is scrubbed of `secrets`.
 */
export class RequestLogger implements Logger {
  readonly #requestId: string;
  readonly #rank: number;
  readonly #secrets: readonly string[];
  readonly #time: LogTimeFormat;

  constructor(requestId: string, threshold: LogThreshold, secrets: readonly string[], time: LogTimeFormat = formatIsoTime) {
    this.#requestId = requestId;
    this.#rank = LEVEL_RANK[threshold];
    this.#secrets = secrets;
    this.#time = time;
  }

  debug(...args: unknown[]): void { this.#write('debug', args); }
  info(...args: unknown[]): void { this.#write('info', args); }
  warn(...args: unknown[]): void { this.#write('warn', args); }
  error(...args: unknown[]): void { this.#write('error', args); }
  log(...args: unknown[]): void { this.#write('info', args); }

  #write(level: LogLevel, args: readonly unknown[]): void {
    if (LEVEL_RANK[level] < this.#rank) return;
    writeLogText(redact(formatLogLine(level, this.#requestId, args, this.#time), this.#secrets), this.#requestId);
  }

  /** Hides the secrets it holds from `util.inspect` and `console.log(context)`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RequestLogger { requestId: '${this.#requestId}' }`;
  }

  toJSON(): { requestId: string } {
    return { requestId: this.#requestId };
  }
}

/** Checks `logLevel` at start-up, so a typo fails loudly instead of printing nothing. */
export function parseLogThreshold(value: unknown): LogThreshold {
  if (value === undefined) return 'debug';
  if (typeof value === 'string' && value in LEVEL_RANK) return value as LogThreshold;
  throw new TypeError(`logLevel must be one of ${Object.keys(LEVEL_RANK).join(', ')}; got ${String(value)}`);
}
