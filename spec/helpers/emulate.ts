/**
 * `fc-container emulate <args>` from source in a child process, kept running: its stdout and
 * stderr together, a wait for a pattern in them, and its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT } from './paths.js';

export interface RunningEmulator {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first or after `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  exited: Promise<number | string>;
  /**
   * Stops it as a user would (SIGTERM: the emulator stops its container, which it started in a
   * process group of its own), and resolves once it has exited; SIGKILL after `timeoutMs`. For
   * teardown: a SIGKILL alone would leave the container running, listening, after the suite.
   */
  stop: (timeoutMs?: number) => Promise<void>;
}

/** Starts the emulator with `args`; `env` is added to this process's environment (undefined removes a variable). */
export function startEmulator(args: readonly string[], env: Record<string, string | undefined> = {}): RunningEmulator {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'emulate', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString(); child.emit('output'); });
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); child.emit('output'); });
  // Its output read to the end ('close'): at 'exit' the last lines may still be in the pipe.
  let outputClosed = false;
  child.on('close', () => { outputClosed = true; });
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  // Checked on every chunk of output and once the output has ended: the wait ends on the event itself.
  const waitFor = (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(text);
      if (match) finish(null, match);
      else if (outputClosed) finish(new Error(`no ${pattern} in:\n${text}`));
    };
    const finish = (error: Error | null, match?: RegExpExecArray): void => {
      clearTimeout(timer);
      child.off('output', check);
      child.off('close', check);
      if (error) reject(error);
      else resolve(match!);
    };
    const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms in:\n${text}`)), timeoutMs);
    child.on('output', check);
    child.on('close', check);
    check();
  });
  const stop = async (timeoutMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  };
  return { child, output: () => text, waitFor, exited, stop };
}
