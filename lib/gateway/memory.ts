/**
 * Peak memory of the container's processes during one invocation, from Linux's `/proc`: the
 * high-water mark of resident memory (`VmHWM` in `/proc/<pid>/status`) is reset by writing `5` to
 * `/proc/<pid>/clear_refs` before the invocation and read after it. The command runs in its own
 * process group, so a wrapper (`npm start`, `sh -c`) and the server it starts are counted
 * together: the figure is the sum of the group's peaks, as a container's memory is the sum of its
 * processes. Without `/proc` (macOS), or without the right to write `clear_refs`, there is no figure.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** The live processes whose process group is `pgid` (the command's own pid; it leads its group). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    const code = entry.charCodeAt(0);
    if (code < 0x30 || code > 0x39) continue;
    const pid = Number(entry);
    if (pid === pgid) {
      pids.push(pid);
      continue;
    }
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) pids.push(pid);
  }
  return pids;
}

/** Resets the high-water mark of each process; false when no reset worked (no figure can be trusted). */
export function resetPeak(pids: readonly number[]): boolean {
  let any = false;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      any = true;
    } catch { /* gone, or not ours to reset */ }
  }
  return any;
}

/** The summed `VmHWM` of the processes, in bytes; undefined when none could be read. */
export function readPeak(pids: readonly number[]): number | undefined {
  let total = 0;
  let any = false;
  for (const pid of pids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'latin1');
    } catch {
      continue;
    }
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) {
      total += Number(match[1]) * 1024;
      any = true;
    }
  }
  return any ? total : undefined;
}

/** `45.21 MB` (MiB, as FC reports memory), or `n/a`. */
export function formatMemory(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}
