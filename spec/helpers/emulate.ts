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
}

/** Starts the emulator with `args`; `env` is added to this process's environment (undefined removes a variable). */
export function startEmulator(args: readonly string[], env: Record<string, string | undefined> = {}): RunningEmulator {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'emulate', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const waitFor = async (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(text);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { child, output: () => text, waitFor, exited };
}
