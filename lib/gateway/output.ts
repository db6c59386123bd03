/**
 * What the gateway prints: its own lines, and the container's stdout and stderr passed through
 * with a prefix on every line (a partial line waits for its end, or for the stream's end).
 */
import type { Readable, Writable } from 'node:stream';

/** The gateway's own line prefix. */
export const GATEWAY_PREFIX = 'fc-emulate: ';

/** Writes the gateway's lines. */
export class Printer {
  readonly stdout: Writable;
  readonly stderr: Writable;

  constructor(stdout: Writable, stderr: Writable) {
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** One line (or several) of the gateway's own, each prefixed. */
  line(text: string): void {
    write(this.stdout, text.split('\n').map((part) => GATEWAY_PREFIX + part + '\n').join(''));
  }

  /** A warning or an error of the gateway's, on stderr. */
  warn(text: string): void {
    write(this.stderr, text.split('\n').map((part) => GATEWAY_PREFIX + part + '\n').join(''));
  }
}

function write(stream: Writable, text: string): void {
  if (!stream.writable) return;
  try {
    stream.write(text);
  } catch { /* a closed pipe: nothing to tell */ }
}

/**
 * Copies `source` to `sink` line by line, each line prefixed, and keeps the last `tailSize` lines
 * (unprefixed) in `tail` for error messages.
 */
export function pipeLines(source: Readable, sink: Writable, prefix: string, tail: string[], tailSize = 40): void {
  let partial = '';
  source.setEncoding('utf8');
  const emit = (line: string): void => {
    tail.push(line);
    if (tail.length > tailSize) tail.shift();
    write(sink, prefix + line + '\n');
  };
  source.on('data', (chunk: string) => {
    const text = partial + chunk;
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) emit(line.endsWith('\r') ? line.slice(0, -1) : line);
  });
  source.on('end', () => {
    if (partial !== '') emit(partial);
    partial = '';
  });
}
