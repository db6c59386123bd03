/**
 * The CLI in a child process: `fc-container serve <module>` listening, or a run to completion,
 * its output collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { ROOT, SOURCE_CLI } from './paths.js';

/** A server running in a child process, with its stdout and stderr collected. */
export interface ChildServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything the child printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves to the exit code (or the signal name) once the child has exited and its output is read to the end. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `fc-container serve <module>` in a child process on a free port and resolves once it
 * listens. `args` are extra CLI flags; `env` adds variables; `cli` is how Node starts the CLI
 * (from source through tsx unless told, or `DIST_CLI`, with any Node flags in front).
 */
export function spawnServer(module: string, args: string[] = [], env: Record<string, string> = {}, cli: string[] = SOURCE_CLI): Promise<ChildServer> {
  return spawnNode([...cli, 'serve', module, '--port', '0', '--host', '127.0.0.1', ...args], env);
}

/**
 * Runs `node <args...>` (a script that calls `serve()` itself, say) in `cwd` (the project root
 * unless told) and resolves once it prints fc-container's "listening on" line; rejects with its
 * output if it exits first.
 */
export async function spawnNode(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<ChildServer> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of waiters.slice()) {
      if (waiter.pattern.test(out)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr!.on('data', (chunk: string) => { err += chunk; });
  // 'close', not 'exit': at 'exit' the last of its output may still be in the pipe.
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000): Promise<void> => {
    if (pattern.test(out)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${out}\nstderr:\n${err}`)), timeoutMs);
      waiters.push({ pattern, resolve: () => { clearTimeout(timer); resolve(); } });
      void exited.then((code) => {
        clearTimeout(timer);
        if (!pattern.test(out)) reject(new Error(`child exited (${code}) before ${pattern}:\n${out}\nstderr:\n${err}`));
      });
    });
  };
  try {
    await waitForOutput(/listening on [\d.]+:(\d+)/);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const port = Number(/listening on [\d.]+:(\d+)/.exec(out)![1]);
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    waitForOutput,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => { child.kill(signal); },
  };
}

/**
 * Runs the CLI to completion and resolves to its exit code and output. A CLI that starts
 * listening instead of exiting is killed, and its code is `'listening'`. An `env` value of
 * undefined removes the variable; `cli` is as for {@link spawnServer}.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, cli: string[] = SOURCE_CLI): Promise<RunResult> {
  return runNode([...cli, ...args], env);
}

/** What a run to completion printed, and its exit code (`'listening'` if it served instead). */
export interface RunResult {
  code: number | null | 'listening';
  stdout: string;
  stderr: string;
}

/** Runs `node <args...>` from the project root to completion, as {@link runCli} does. */
export async function runNode(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let listening = false;
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (!listening && /listening on /.test(stdout)) {
      listening = true;
      child.kill('SIGKILL');
    }
  });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  // 'close', not 'exit': at 'exit' the last of its output may still be in the pipe.
  const [code] = await once(child, 'close') as [number | null];
  return { code: listening ? 'listening' : code, stdout, stderr };
}

/** Whether a process with `pid` still exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
