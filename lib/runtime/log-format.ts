/**
 * What a profile changes in the runtime's log lines: the time stamp's shape, the level variable
 * FC 3.0 reads, and the split of a line longer than FC keeps.
 */
import { writeOut } from './output.js';

/** Formats the time at the start of a log line. */
export type LogTimeFormat = (now: Date) => string;

/**
 * FC 2.0's Node.js runtime: `2023-04-01T10:04:19.024Z` (ISO 8601, UTC). Source: FC 2.0 Node.js
 * "Logging", https://alibabacloud.com/help/doc-detail/426949.html.
 */
export function formatIsoTime(now: Date): string {
  return now.toISOString();
}

/**
 * FC 3.0's Node.js runtime: `2024-03-04 07:01:16.927` (UTC, a space, milliseconds, no `Z`).
 * Source: FC 3.0 Node.js "Logging" (日志), https://help.aliyun.com/zh/functioncompute/user-guide/logging:
 * `2024-03-04 07:01:16.927 1-65e571bc-158a59e8-b63f98cd471c [info] hello,world`.
 */
export function formatSpacedTime(now: Date): string {
  const iso = now.toISOString();
  return iso.slice(0, 10) + ' ' + iso.slice(11, 23);
}

/**
 * FC 3.0's level variable (same "Logging" page as {@link formatSpacedTime}): `debug`, `info`,
 * `warn` or `error`; lines below it are not printed. Read only under the `fc3` profile and only
 * when `logLevel` is not given.
 */
export const LOG_LEVEL_ENV = 'ALIYUN_FC_LOG_LEVEL';

/** The level `ALIYUN_FC_LOG_LEVEL` names, or undefined when it is unset or empty. Throws a `TypeError` for any other value, at start-up. */
export function readLogLevelEnv(env: NodeJS.ProcessEnv): 'debug' | 'info' | 'warn' | 'error' | undefined {
  const value = env[LOG_LEVEL_ENV];
  if (!value) return undefined;
  const level = value.toLowerCase();
  if (level === 'debug' || level === 'info' || level === 'warn' || level === 'error') return level;
  throw new TypeError(`${LOG_LEVEL_ENV} must be one of debug, info, warn, error; got ${value}`);
}

/**
 * The bytes of one log line FC keeps, its newline included: "单条日志大小 32 KB" in FC's limits
 * (https://www.alibabacloud.com/help/zh/functioncompute/fc-2-0/product-overview/limits, both
 * instance kinds, not adjustable). FC 3.0's limits page did not show that row in the copy we
 * read; the same agent collects both, so the limit applies in both profiles.
 */
export const LOG_LINE_MAX_BYTES = 32 * 1024;

/**
 * Writes log text (one or more lines, each ending in `\n`) on stdout. A line over
 * {@link LOG_LINE_MAX_BYTES} is split into lines under it, each piece after the first starting
 * with the line's own `<time> <requestId> [level] ` prefix, so FC cuts nothing and every piece
 * still names its request. Most lines pass the length check alone: a UTF-16 unit is at most 3 bytes.
 */
export function writeLogText(text: string, requestId?: string): void {
  if (text.length * 3 <= LOG_LINE_MAX_BYTES || Buffer.byteLength(text) <= LOG_LINE_MAX_BYTES) {
    writeOut(text, requestId);
    return;
  }
  const end = text.indexOf('] ');
  const prefix = end === -1 ? '' : text.slice(0, end + 2);
  const prefixBytes = Buffer.byteLength(prefix);
  let out = '';
  for (const line of text.slice(0, -1).split('\n')) out += splitLine(line, prefix, prefixBytes);
  writeOut(out, requestId);
}

/** One line (no newline) as lines of at most {@link LOG_LINE_MAX_BYTES}, newlines included. */
function splitLine(line: string, prefix: string, prefixBytes: number): string {
  if (Buffer.byteLength(line) < LOG_LINE_MAX_BYTES) return line + '\n';
  // A prefix too long to leave room is dropped from the pieces rather than looping forever.
  const repeat = prefixBytes * 2 < LOG_LINE_MAX_BYTES ? prefix : '';
  let out = '';
  let piece = '';
  let budget = LOG_LINE_MAX_BYTES - 1;
  let used = 0;
  for (const char of line) {
    // Iterating by code point keeps a surrogate pair (4 bytes in UTF-8) whole.
    const code = char.codePointAt(0)!;
    const bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (used + bytes > budget) {
      out += piece + '\n';
      piece = repeat;
      used = repeat === '' ? 0 : prefixBytes;
      budget = LOG_LINE_MAX_BYTES - 1;
    }
    piece += char;
    used += bytes;
  }
  return out + piece + '\n';
}
