// Child processes: servers pinned to a core with taskset, stdout and stderr to a file, every
// child tracked so that none outlives the run (normal end, error, Ctrl-C).
import { spawn, execFileSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync, existsSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

export const TASKSET = existsSync('/usr/bin/taskset') ? '/usr/bin/taskset' : null;

const live = new Set();
const cleanups = new Set();
let cleanupInstalled = false;

/** A synchronous function to run when the process exits (normally, on error or on a signal). */
export function onExit(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups() {
  killAllChildren();
  for (const fn of cleanups) {
    try { fn(); } catch { /* best effort */ }
  }
  cleanups.clear();
}

export function trackChild(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every child still alive. Synchronous: safe in 'exit' and signal handlers. */
export function killAllChildren() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
  }
  live.clear();
}

export function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', runCleanups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      runCleanups();
      process.stderr.write(`\nbench: ${signal}, children killed\n`);
      process.exit(130);
    });
  }
}

/** True when this machine can pin the server and the load generator to different cores. */
export function canPin(cores) {
  return TASKSET !== null && cores >= 2;
}

/** Pins every thread of this process to `core` (the orchestrator stays off the server's core). */
export function pinSelf(core) {
  if (!TASKSET) return false;
  try {
    execFileSync(TASKSET, ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** argv to run `command args` pinned to `core` (or unpinned when core is null). */
export function pinned(core, command, args) {
  if (core === null || core === undefined || !TASKSET) return [command, args];
  return [TASKSET, ['-c', String(core), command, ...args]];
}

export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `node <file> <args>` pinned to `core`, PORT in its environment, stdout and stderr
 * appended to `logPath` (a file, as in a container), from `cwd` (this process's unless told).
 * Exec'd by taskset, so the pid is node's own.
 */
export function spawnNode(file, { port, logPath, core, nodeArgs = [], args: scriptArgs = [], cwd, env = {} }) {
  const fd = openSync(logPath, 'w');
  const [command, args] = pinned(core, process.execPath, [...nodeArgs, file, ...scriptArgs]);
  let child;
  try {
    child = spawn(command, args, {
      cwd,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...env, PORT: String(port), NODE_ENV: 'production' },
    });
  } finally {
    closeSync(fd);
  }
  trackChild(child);
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  exited.catch(() => {});
  return { child, pid: child.pid, port, logPath, exited };
}

/** Stops a spawned process: SIGKILL by default (or `signal`, then SIGKILL after `graceMs`). */
export async function stopProcess(proc, { signal = 'SIGKILL', graceMs = 3000 } = {}) {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (signal !== 'SIGKILL') {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await proc.exited;
    clearTimeout(timer);
  } else {
    await proc.exited;
  }
}

/** VmRSS and VmHWM of a process, in bytes (from /proc/<pid>/status). */
export function readMemory(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : NaN;
  };
  const name = /^Name:\s+(\S+)/m.exec(text)?.[1];
  return { rss: kib('VmRSS'), hwm: kib('VmHWM'), name };
}

/** Waits until `path` contains `text` (polling every `everyMs`), or throws after `timeoutMs`. */
export async function waitForText(path, text, { timeoutMs = 10_000, everyMs = 5, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (readFileSync(path, 'utf8').includes(text)) return;
    } catch { /* not there yet */ }
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`process exited before printing "${text}": ${tail(path)}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in ${path}: ${tail(path)}`);
    await sleep(everyMs);
  }
}

/** The last few hundred characters of a log, for error messages. */
export function tail(path, chars = 600) {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > chars ? '...' + text.slice(-chars) : text;
  } catch {
    return '(no log)';
  }
}

export function fileSize(path) {
  try { return statSync(path).size; } catch { return 0; }
}

export function removeFile(path) {
  try { rmSync(path, { force: true }); } catch { /* ignore */ }
}

/** Runs a command to completion, pinned, collecting stdout; rejects on a non-zero exit. */
export function runCommand(command, args, { core = null, cwd, timeoutMs = 120_000, env } = {}) {
  const [cmd, argv] = pinned(core, command, args);
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(cmd, argv, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stderr.slice(-800)}`));
    });
  });
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time a process has used so far, in seconds: { user, system }. */
export function readCpuTime(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (1-based, man 5 proc).
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/**
 * A snapshot for {@link foreignCpuSeconds}: the machine's busy CPU time (all cores, from
 * /proc/stat: user, nice, system, irq, softirq, steal), and this process's own CPU time with its
 * reaped children (the load generator runs as one and is reaped before the second snapshot).
 */
export function snapshotMachineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = line;
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self.slice(self.lastIndexOf(')') + 2).split(' ');
    return {
      machine: (user + nice + system + irq + softirq + (steal || 0)) / CLOCK_TICKS,
      self: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS,
    };
  } catch {
    return null;
  }
}

/**
 * CPU seconds taken between two snapshots by anything but this process, its reaped children and
 * the server (whose CPU seconds over the same span the caller passes).
 */
export function foreignCpuSeconds(before, after, serverSeconds) {
  if (!before || !after) return NaN;
  return Math.max(0, after.machine - before.machine - (after.self - before.self) - serverSeconds);
}
