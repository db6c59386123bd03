/**
 * What the gateway prints: its own lines, and the container's stdout and stderr passed through
 * with a prefix on every line (a partial line waits for its end, or for the stream's end).
 *
 * Bounded when nobody reads the output: a sink that asks for a 'drain' (its `write()` returned
 * false) pauses the child's stream that feeds it until the drain, so the child's pipe fills and
 * holds the child back, as a container whose log pipe is full, instead of the gateway queueing
 * without end; and an invocation waits for the drain before it starts, so the gateway's own lines
 * (a summary per invocation) stay bounded too.
 */
import type { Readable, Writable } from 'node:stream';

/** The gateway's own line prefix. */
export const GATEWAY_PREFIX = 'fc-emulate: ';

/** Writes the gateway's lines and passes the command's output through. */
export class Printer {
  readonly stdout: Writable;
  readonly stderr: Writable;
  #waiting = 0;

  constructor(stdout: Writable, stderr: Writable) {
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Child streams and invocations held back now until an output drains. */
  get waiting(): number {
    return this.#waiting;
  }

  /** One line (or several) of the gateway's own, each prefixed. */
  line(text: string): void {
    write(this.stdout, text.split('\n').map((part) => GATEWAY_PREFIX + part + '\n').join(''));
  }

  /** A warning or an error of the gateway's, on stderr. */
  warn(text: string): void {
    write(this.stderr, text.split('\n').map((part) => GATEWAY_PREFIX + part + '\n').join(''));
  }

  /** Resolves once neither output asks for a drain: at once when both have room. */
  async whenWritable(): Promise<void> {
    for (const stream of [this.stdout, this.stderr]) {
      if (!needsDrain(stream)) continue;
      this.#waiting++;
      try {
        await drained(stream);
      } finally {
        this.#waiting--;
      }
    }
  }

  /**
   * Copies `source` to `sink` line by line, each line prefixed, and keeps the last `tailSize`
   * lines (unprefixed) in `tail` for error messages. `source` is paused while `sink` asks for a
   * drain: the lines of the chunk at hand still go out (at most one read, 64 KiB for a pipe), the
   * next chunk waits in the pipe. `onLine` is told each line too.
   */
  passThrough(source: Readable, sink: Writable, prefix: string, tail: string[], onLine?: (line: string) => void, tailSize = 40): void {
    let partial = '';
    let full = false;
    source.setEncoding('utf8');
    const emit = (line: string): void => {
      onLine?.(line);
      tail.push(line);
      if (tail.length > tailSize) tail.shift();
      if (!write(sink, prefix + line + '\n')) full = true;
    };
    source.on('data', (chunk: string) => {
      const text = partial + chunk;
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) emit(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (!full) return;
      full = false;
      source.pause();
      this.#waiting++;
      void drained(sink).then(() => {
        this.#waiting--;
        source.resume();
      });
    });
    source.on('end', () => {
      if (partial !== '') emit(partial);
      partial = '';
    });
  }
}

/** Writes `text`; false when the stream asks for a drain. A closed stream drops it (nothing to wait for). */
function write(stream: Writable, text: string): boolean {
  if (!stream.writable) return true;
  try {
    return stream.write(text);
  } catch {
    return true; // a closed pipe: nothing to tell
  }
}

function needsDrain(stream: Writable): boolean {
  return stream.writable && stream.writableNeedDrain;
}

/** Resolves at the stream's next 'drain', or its 'close' (a closed stream never drains). */
function drained(stream: Writable): Promise<void> {
  if (!needsDrain(stream)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
