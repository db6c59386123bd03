// Starting and stopping one variant's server for a measurement.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SERVERS_DIR } from './config.mjs';
import { freePort, spawnNode, stopProcess, removeFile, fileSize, tail } from './procs.mjs';

let serial = 0;

/** Spawns a variant's server pinned to the server core, stdout and stderr to a log file. */
export async function launch(ctx, variant, tag, nodeArgs = []) {
  const port = await freePort();
  const logPath = join(ctx.logDir, `${variant.name}-${tag}-${++serial}.log`);
  const spawnedAt = performance.now();
  const proc = spawnNode(join(SERVERS_DIR, variant.file), { port, logPath, core: ctx.serverCore, nodeArgs });
  proc.spawnedAt = spawnedAt;
  proc.variant = variant;
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
