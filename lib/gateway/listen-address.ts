/**
 * Which addresses the command's server listens on, read from Linux's `/proc` (no packet is sent:
 * the gateway talks to loopback only). The socket inodes open in `/proc/<pid>/fd` of every process
 * in the command's process group are looked up among the LISTEN entries (state `0A`) of
 * `/proc/net/tcp` and `/proc/net/tcp6` for the container port. FC connects from outside the
 * container, so a server on loopback only (127.0.0.0/8, `::1`, `::ffff:127.x`) is never reached.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { groupPids } from './memory.js';

/** What `/proc` tells of the port: the addresses it listens on, or nothing (not Linux, no access, not found). */
export type ListenAddresses = string[] | undefined;

/** `/proc/net/tcp*`'s state of a listening socket. */
const TCP_LISTEN = '0A';

/** The inodes of the sockets the processes hold open (`socket:[12345]` links in `/proc/<pid>/fd`). */
function readSocketInodes(pids: readonly number[]): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    }
  }
  return inodes;
}

/**
 * An address of `/proc/net/tcp*` as text. The kernel prints each 32-bit word in host order, so on
 * a little-endian machine `0100007F` is 127.0.0.1; IPv6 is four such words.
 */
export function decodeProcAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    for (let i = 6; i >= 0; i -= 2) bytes.push(parseInt(hex.slice(word + i, word + i + 2), 16));
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The one abbreviation that matters here: `::`, `::1` and `::ffff:a.b.c.d`.
  if (groups.slice(0, 5).every((group) => group === '0') && groups[5] === 'ffff') return `::ffff:${bytes.slice(12).join('.')}`;
  return groups.join(':').replace(/^(0:)+0$/, '::').replace(/^(0:)+/, '::');
}

/**
 * The local addresses of the LISTEN entries in `table` (a `/proc/net/tcp*` text) on `port` whose
 * inode is one of `inodes`.
 */
export function findListenAddresses(table: string, port: number, inodes: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    // `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...`
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN || !inodes.has(fields[9]!)) continue;
    const [address, hexPort] = fields[1]!.split(':');
    if (parseInt(hexPort!, 16) === port) found.push(decodeProcAddress(address!));
  }
  return found;
}

/** The addresses the process group led by `pgid` listens on at `port`; undefined when `/proc` cannot tell. */
export function readListenAddresses(pgid: number, port: number): ListenAddresses {
  const inodes = readSocketInodes(groupPids(pgid));
  if (inodes.size === 0) return undefined;
  const found: string[] = [];
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue; // no IPv6, or no /proc
    }
    readAny = true;
    found.push(...findListenAddresses(text, port, inodes));
  }
  return readAny && found.length > 0 ? found : undefined;
}

/** True for an address only this machine can reach: 127.0.0.0/8, `::1`, `::ffff:127.x.x.x`. */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}
