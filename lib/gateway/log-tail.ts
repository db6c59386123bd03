/**
 * The log tail FC returns with `x-fc-log-type: Tail`: "the last 4 KB of logs that are generated
 * for the current request" (InvokeFunction, https://www.alibabacloud.com/help/en/functioncompute/fc-2-0/developer-reference/api-invokefunction),
 * base64 in `x-fc-log-result`. FC's own HTTP samples show what it holds: the Start marker, what the
 * function printed, the End marker, a blank line and the summary
 * (`Duration: 3.87 ms, Billed Duration: 4 ms, Memory Size: 128 MB, Max Memory Used: 100.26 MB`).
 *
 * The container's output (a pipe) and its answer (a socket) race, so the caller's answer waits
 * until that request's End marker has been read: up to the function's deadline once its Start
 * marker has been seen, and no more than {@link START_MARKER_GRACE_MS} for a Start marker that
 * never comes (a container that prints no markers gets no tail, and never hangs the call).
 */

/** What FC keeps of an invocation's log: its last 4 KB. */
export const LOG_TAIL_BYTES = 4 * 1024;
/** How long an answer waits for a Start marker it has not seen yet. */
export const START_MARKER_GRACE_MS = 200;

const START = 'FC Invoke Start RequestId: ';
const END = 'FC Invoke End RequestId: ';

/** One invocation in flight, as the log sees it. */
export interface LogEntry {
  readonly requestId: string;
  /** Whether its lines are kept (the caller asked for the tail). */
  readonly keep: boolean;
  readonly lines: string[];
  bytes: number;
  started: boolean;
  ended: boolean;
  wake: (() => void) | undefined;
}

/** The invocations in flight and the lines the container prints for each. */
export class InvocationLogs {
  readonly #open = new Map<string, LogEntry>();

  /** Starts following an invocation; `keep` when its caller asked for the tail. */
  open(requestId: string, keep: boolean): LogEntry {
    const entry: LogEntry = { requestId, keep, lines: [], bytes: 0, started: false, ended: false, wake: undefined };
    this.#open.set(requestId, entry);
    return entry;
  }

  close(entry: LogEntry): void {
    this.#open.delete(entry.requestId);
  }

  /**
   * One line of the container's output (stdout or stderr, without its prefix). It belongs to the
   * invocation whose request id it carries; a line with none goes to the only invocation in
   * flight, or to none when several are.
   */
  onLine(line: string): void {
    if (this.#open.size === 0) return;
    let owner: LogEntry | undefined;
    for (const entry of this.#open.values()) {
      if (line.includes(entry.requestId)) {
        owner = entry;
        break;
      }
    }
    if (owner === undefined) {
      if (this.#open.size !== 1) return;
      owner = this.#open.values().next().value!;
      if (!owner.started || owner.ended) return;
    } else if (line.includes(START + owner.requestId)) {
      owner.started = true;
    } else if (line.includes(END + owner.requestId)) {
      if (!owner.started) owner.started = true;
      owner.ended = true;
    } else if (!owner.started || owner.ended) {
      return;
    }
    if (owner.keep) keepLine(owner, line);
    owner.wake?.();
  }
}

/** Keeps a line, and only as many of the oldest as the tail can still show. */
function keepLine(entry: LogEntry, line: string): void {
  entry.lines.push(line);
  entry.bytes += Buffer.byteLength(line) + 1;
  while (entry.lines.length > 1 && entry.bytes - Buffer.byteLength(entry.lines[0]!) - 1 >= LOG_TAIL_BYTES) {
    entry.bytes -= Buffer.byteLength(entry.lines.shift()!) + 1;
  }
}

/**
 * Resolves once the entry's End marker has been read (true), or false when no Start marker came
 * within the grace period or the End marker not by `deadline` (a `performance.now()` time).
 */
export function waitForEnd(entry: LogEntry, deadline: number, now: () => number): Promise<boolean> {
  if (entry.ended) return Promise.resolve(true);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (ended: boolean): void => {
      clearTimeout(timer);
      entry.wake = undefined;
      resolve(ended);
    };
    const arm = (): void => {
      clearTimeout(timer);
      const wait = entry.started ? deadline - now() : Math.min(START_MARKER_GRACE_MS, deadline - now());
      timer = setTimeout(() => finish(entry.ended), Math.max(0, wait));
    };
    entry.wake = () => {
      if (entry.ended) finish(true);
      else if (entry.started) arm();
    };
    arm();
  });
}

/**
 * The `x-fc-log-result` value: the kept lines, a blank line and the summary, cut to the last
 * {@link LOG_TAIL_BYTES} bytes (at a character boundary), base64.
 */
export function formatLogTail(entry: LogEntry, summary: string): string {
  const text = Buffer.from(`${entry.lines.join('\n')}${entry.lines.length ? '\n' : ''}\n${summary}\n`);
  let start = Math.max(0, text.length - LOG_TAIL_BYTES);
  // Never start inside a UTF-8 sequence: skip its continuation bytes (10xxxxxx).
  while (start < text.length && (text[start]! & 0xc0) === 0x80) start++;
  return text.subarray(start).toString('base64');
}
