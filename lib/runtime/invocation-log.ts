/**
 * The runtime's own log lines about a request (refusals, failures, stripped headers), in FC's
 * format with the request id.
 */
import { getUtil } from './builtins.js';
import type { Invocation } from './invocation.js';
import { writeLogText } from './log-format.js';
import { formatLogLine, redact, type LogLevel } from './logger.js';

/** Prints a runtime log line in FC's format with the request id, secrets scrubbed. */
export function log(inv: Invocation, level: LogLevel, ...args: unknown[]): void {
  if (!inv.runtime.shouldLog(level)) return;
  const text = args.map((arg) => (typeof arg === 'string' ? arg : getUtil().inspect(arg, { depth: 4 }))).join(' ');
  writeLogText(redact(formatLogLine(level, inv.requestId, [text], inv.runtime.logTime), inv.context.secrets), inv.requestId);
}
