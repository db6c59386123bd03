/**
 * One function instance: the container's command, started with the environment FC gives a
 * container, in its own process group (so Ctrl-C reaches the gateway only, which then stops it in
 * FC's order), ready once its port accepts TCP connections; or, with `--target`, a server that
 * is already running somewhere, which is never started or stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { groupPids, readPeak, resetPeak } from './memory.js';
import type { Printer } from './output.js';
import { sleep } from './sleep.js';

/** Why an instance did not become ready. */
export type StartFailureReason = 'spawn' | 'exited' | 'timeout';

/** An instance that did not become ready: the message names the port, the exit code, the output. */
export class StartError extends Error {
  override readonly name = 'StartError';
  readonly reason: StartFailureReason;
  readonly port: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The command's last lines of output (stdout and stderr). */
  readonly output: string;

  constructor(reason: StartFailureReason, message: string, port: number, exitCode: number | null, signal: NodeJS.Signals | null, output: string) {
    super(message);
    this.reason = reason;
    this.port = port;
    this.exitCode = exitCode;
    this.signal = signal;
    this.output = output;
  }
}

/** How an instance's process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The Initializer's state on one instance (a new instance starts uninitialized). */
export interface InitState<T> {
  done: boolean;
  running: Promise<T> | undefined;
}

export interface SpawnSpec {
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  port: number;
  instanceId: string;
  /** Prefix of the command's output lines. */
  prefix: string;
  printer: Printer;
  /** Told every line of the command's output (stdout and stderr), unprefixed. */
  onLine?: (line: string) => void;
}

/** True once a TCP connection to `host:port` opens; false on refusal or after `timeoutMs`. */
function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(done, timeoutMs, false);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export class Instance<TInit = unknown> {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly child: ChildProcess | undefined;
  /** Keep-alive connections to the instance, as FC holds them across invocations. */
  readonly agent = new Agent({ keepAlive: true });
  state: 'starting' | 'ready' | 'stopping' | 'exited' = 'starting';
  /** Set once the gateway has decided to replace this instance. */
  replaced = false;
  readonly spawnedAt = Date.now();
  /** Spawn to port open, ms. */
  readyMs: number | undefined;
  /** How long the Initializer took on this instance, ms. */
  initializerMs: number | undefined;
  exit: ExitInfo | undefined;
  spawnError: Error | undefined;
  readonly exited: Promise<ExitInfo>;
  /** The command's last output lines. */
  readonly tail: string[] = [];
  /** Invocations inside the instance now. */
  inFlight = 0;
  init: InitState<TInit> = { done: false, running: undefined };
  #stopping: Promise<void> | undefined;
  #onExit: ((instance: Instance<TInit>, exit: ExitInfo) => void) | undefined;

  private constructor(id: string, host: string, port: number, child: ChildProcess | undefined) {
    this.id = id;
    this.host = host;
    this.port = port;
    this.child = child;
    if (!child) {
      this.exited = new Promise(() => {});
      return;
    }
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.state = 'exited';
        resolve(this.exit);
        this.#onExit?.(this, this.exit);
      });
      child.once('error', (error) => {
        // Only a failed spawn leaves no pid; a later error (a failed kill) is not an exit.
        if (child.pid !== undefined) return;
        this.spawnError = error;
        this.exit = { code: null, signal: null };
        this.state = 'exited';
        resolve(this.exit);
      });
    });
  }

  /**
   * Starts the command in its own process group. A command given as one string with spaces
   * (`"npm start"`) runs through `/bin/sh -c 'exec ...'`.
   */
  static spawn<T>(spec: SpawnSpec): Instance<T> {
    const { command } = spec;
    const viaShell = command.length === 1 && /\s/.test(command[0]!);
    const file = viaShell ? '/bin/sh' : command[0]!;
    const args = viaShell ? ['-c', `exec ${command[0]}`] : command.slice(1);
    const child = spawn(file, args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const instance = new Instance<T>(spec.instanceId, '127.0.0.1', spec.port, child);
    spec.printer.passThrough(child.stdout!, spec.printer.stdout, spec.prefix, instance.tail, spec.onLine);
    spec.printer.passThrough(child.stderr!, spec.printer.stderr, spec.prefix, instance.tail, spec.onLine);
    return instance;
  }

  /** A server already running at `url`. */
  static target<T>(url: URL, instanceId: string): Instance<T> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return new Instance<T>(instanceId, host, Number(url.port || 80), undefined);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Called once when the process exits (not for a target). */
  onExit(listener: (instance: Instance<TInit>, exit: ExitInfo) => void): void {
    this.#onExit = listener;
  }

  /** The command's last output lines, for error messages. */
  output(): string {
    return this.tail.join('\n');
  }

  /**
   * Resolves once the port accepts TCP connections. Rejects with a {@link StartError} when the
   * command could not be started, exits first, or `timeoutMs` passes.
   */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const what = this.child ? `port ${this.port} (FC_CUSTOM_LISTEN_PORT)` : `${this.host}:${this.port}`;
    for (;;) {
      if (this.exit) throw this.#exitedError();
      if (this.state === 'stopping') throw new StartError('exited', 'The instance was stopped before it was ready', this.port, null, null, this.output());
      if (await canConnect(this.host, this.port, 250)) {
        if (this.exit) throw this.#exitedError();
        this.state = 'ready';
        this.readyMs = Date.now() - this.spawnedAt;
        return;
      }
      if (Date.now() >= deadline) {
        const seconds = timeoutMs / 1000;
        const message = this.child
          ? `The command did not open ${what} within ${seconds} s. It must listen on 0.0.0.0 at the port in FC_CUSTOM_LISTEN_PORT (${this.port}).`
          : `Nothing accepts connections at ${what} (--target) after ${seconds} s.`;
        throw new StartError('timeout', message + tailNote(this.output()), this.port, null, null, this.output());
      }
      await Promise.race([sleep(25), this.exited]);
    }
  }

  #exitedError(): StartError {
    const output = this.output();
    if (this.spawnError) {
      const code = (this.spawnError as NodeJS.ErrnoException).code;
      const hint = code === 'ENOENT' ? ' (command not found)' : '';
      return new StartError('spawn', `Cannot run the command: ${this.spawnError.message}${hint}`, this.port, null, null, output);
    }
    const { code, signal } = this.exit!;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    return new StartError('exited', `The command ${how} before opening port ${this.port} (FC_CUSTOM_LISTEN_PORT).` + tailNote(output), this.port, code, signal, output);
  }

  /** Sends a signal to the command's whole process group. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try { this.child!.kill(signal); } catch { /* gone */ }
    }
  }

  /**
   * Stops the instance: SIGTERM to its process group, SIGKILL after `graceMs`, and SIGKILL to
   * whatever the group left behind. A target is only let go. Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    if (this.state !== 'exited') this.state = 'stopping';
    if (this.child && !this.exit) {
      this.signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        this.exited.then(() => true),
        new Promise<boolean>((resolve) => { timer = setTimeout(resolve, graceMs, false); }),
      ]);
      clearTimeout(timer);
      if (!stopped) this.signal('SIGKILL');
      await this.exited;
    }
    // Processes the command started and left behind (a server under `npm start`).
    this.signal('SIGKILL');
    this.agent.destroy();
    if (!this.child) this.state = 'exited';
  }

  /** Kills the process group at once (for the process's own exit). */
  killNow(): void {
    if (this.child && !this.exit) this.signal('SIGKILL');
  }

  /** Resets the peak-memory mark of the instance's processes; false when it cannot be measured. */
  resetPeak(): boolean {
    const pid = this.child?.pid;
    if (pid === undefined || this.exit) return false;
    return resetPeak(groupPids(pid));
  }

  /** The instance's peak memory since the last reset, in bytes. */
  readPeak(): number | undefined {
    const pid = this.child?.pid;
    if (pid === undefined || this.exit) return undefined;
    return readPeak(groupPids(pid));
  }
}

function tailNote(output: string): string {
  if (!output.trim()) return ' It printed nothing.';
  return `\nIts last output:\n${output.split('\n').map((line) => '  ' + line).join('\n')}`;
}
