// Starting and stopping one variant's server for a measurement.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SERVERS_DIR } from './config.mjs';
import { freePort, spawnNode, stopProcess, removeFile, fileSize, tail } from './procs.mjs';

let serial = 0;

/** Spawns a variant's server pinned to the server core, stdout and stderr to a log file. */
export async function launch(ctx, variant, tag, nodeArgs = []) {
  const proc = await launchNode(ctx, { name: variant.name, file: join(SERVERS_DIR, variant.file), tag, nodeArgs });
  proc.variant = variant;
  return proc;
}

/**
 * Spawns `node <file> <args>` from `cwd` the way launch() spawns a variant (a free port, pinned to
 * the server core, output to a log file). The port goes in PORT and in each of `portEnv` (the
 * image section's commands read FC_CUSTOM_LISTEN_PORT, as in FC). `spawnedAt` is taken after the
 * port is picked, just before the spawn.
 */
export async function launchNode(ctx, { name, file, args = [], cwd, tag, nodeArgs = [], portEnv = [] }) {
  const port = await freePort();
  const logPath = join(ctx.logDir, `${name}-${tag}-${++serial}.log`);
  const env = Object.fromEntries(portEnv.map((key) => [key, String(port)]));
  const spawnedAt = performance.now();
  const proc = spawnNode(file, { port, logPath, core: ctx.serverCore, nodeArgs, args, cwd, env });
  proc.spawnedAt = spawnedAt;
  proc.isDead = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  return proc;
}

/** Kills the server; removes its log unless logs are kept. Returns the log's size in bytes. */
export async function shutdown(ctx, proc) {
  await stopProcess(proc);
  const size = fileSize(proc.logPath);
  if (!ctx.config.keepLogs) removeFile(proc.logPath);
  return size;
}

export function describeExit(proc) {
  return `exited (${proc.child.exitCode ?? proc.child.signalCode}); log: ${tail(proc.logPath, 400)}`;
}
