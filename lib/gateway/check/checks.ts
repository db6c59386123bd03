/**
 * The conformance check's checks that need more than one request: keep-alive, a trickling
 * upload, the response headers, the markers, concurrency, SIGTERM; and which runtime a process
 * is (for the fixes).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { classifyResponseHeaderIn } from '../../rules/profile.js';
import type { ResolvedGatewayOptions } from '../options.js';
import { probe, rawInvoke, RawConnection, type ProbeReply } from './probe.js';
import type { CheckResult, Verdict } from './report.js';

/** A check's result; a fix only where it did not pass. */
export const result = (id: string, verdict: Verdict, seen: string, fix?: string): CheckResult => ({ id, verdict, seen, ...(fix && verdict !== 'PASS' && verdict !== 'SKIP' ? { fix } : {}) });

export async function checkIdle(base: URL, o: ResolvedGatewayOptions, seconds: number, sent: string[], fix: string): Promise<CheckResult> {
  const id = `keep-alive-${seconds}s`;
  const socket = connect({ host: base.hostname, port: Number(base.port) });
  const connection = new RawConnection(socket);
  try {
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const first = rawInvoke(base.host, o);
    sent.push(first.requestId);
    const status = await connection.send(first.text, o.timeout * 1000);
    if (status >= 300) return result(id, 'FAIL', `POST /invoke answered ${status}; no connection to hold`, fix);
    const started = Date.now();
    let endedAfter: number | undefined;
    socket.once('end', () => { endedAfter = Date.now() - started; });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    if (endedAfter !== undefined || connection.ended) {
      return result(id, 'FAIL', `the server closed the idle connection after ${((endedAfter ?? 0) / 1000).toFixed(1)} s; FC reuses it and would get a reset (502)`, fix);
    }
    const next = rawInvoke(base.host, o);
    sent.push(next.requestId);
    const again = await connection.send(next.text, o.timeout * 1000).catch((error: Error) => error);
    if (again instanceof Error) return result(id, 'FAIL', `the connection idle ${seconds} s did not serve the next request: ${again.message}`, fix);
    return result(id, 'PASS', `a connection idle ${seconds} s served the next request (${again})`);
  } catch (error) {
    return result(id, 'FAIL', `could not hold a connection: ${(error as Error).message}`, fix);
  } finally {
    socket.destroy();
  }
}

/** An upload whose body arrives one byte a second for `seconds`: it must not be cut. */
export async function checkTrickle(base: URL, seconds: number, o: ResolvedGatewayOptions, fix: string): Promise<CheckResult> {
  const id = `trickle-${seconds}s`;
  const socket = connect({ host: base.hostname, port: Number(base.port) });
  let answer = '';
  let closed = false;
  socket.setEncoding('latin1').on('data', (chunk: string) => { answer += chunk; });
  socket.on('close', () => { closed = true; });
  socket.on('error', () => {});
  const total = seconds;
  socket.write(`POST /invoke HTTP/1.1\r\nhost: ${base.host}\r\nx-fc-control-path: /invoke\r\nx-fc-request-id: trickle\r\nx-fc-function-timeout: ${Math.max(o.timeout, seconds + 10)}\r\ncontent-length: ${total}\r\n\r\n`);
  for (let sent = 0; sent < total && !closed && answer === ''; sent++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    socket.write('x');
  }
  const deadline = Date.now() + 10_000;
  while (answer.indexOf('\r\n') === -1 && !closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  socket.destroy();
  const status = Number(answer.slice(9, 12));
  if (status >= 200 && status < 300) return result(id, 'PASS', `a body trickling in for ${seconds} s was read to its end (${status})`);
  return result(id, 'FAIL', `a body trickling in for ${seconds} s was cut: ${answer ? `answered ${status}` : 'the connection closed'} before it ended`, fix);
}

export function checkHeaders(replies: ProbeReply[], o: ResolvedGatewayOptions, fix: (id: string) => string): CheckResult {
  const forbidden = new Set<string>();
  let largest = 0;
  for (const reply of replies) {
    let bytes = 0;
    for (let i = 0; i < reply.rawHeaders.length; i += 2) {
      const name = reply.rawHeaders[i]!.toLowerCase();
      const kind = classifyResponseHeaderIn(o.profile, name);
      // Every server's framing and connection headers: FC replaces them, they count for nothing.
      if (kind === 'framing' || kind === 'server') continue;
      if (kind === 'platform' && name !== 'x-fc-status') forbidden.add(name);
      bytes += name.length + reply.rawHeaders[i + 1]!.length;
    }
    largest = Math.max(largest, bytes);
  }
  const limit = o.limits.responseHeaders;
  if (largest > limit) return result('response-headers', 'FAIL', `${largest} bytes of response headers, over FC's ${limit}: FC answers 502 BadResponse`, fix('response-headers-size'));
  if (forbidden.size > 0) return result('response-headers', 'WARN', `sets ${[...forbidden].join(', ')}, which FC drops (${largest} of ${limit} bytes)`, fix('response-headers-forbidden'));
  return result('response-headers', 'PASS', `${largest} of ${limit} bytes, nothing FC drops`);
}

export function checkMarkers(ids: string[], stdout: string, fix: string): CheckResult {
  const missing = ids.filter((requestId) => {
    const start = stdout.search(new RegExp(`FC \\w+ Start RequestId: ${requestId}`));
    const end = stdout.search(new RegExp(`FC \\w+ End RequestId: ${requestId}`));
    return start === -1 || end === -1 || end < start;
  });
  if (missing.length === 0) return result('markers', 'PASS', `Start before End for each of the ${ids.length} request ids sent`);
  return result('markers', 'WARN', `no Start/End markers for ${missing.length} of ${ids.length} request ids: FC cannot cut its logs per request`, fix);
}

/** `concurrency` keep-alive connections open at once, an invocation on each: all answered within the function timeout. */
export async function checkConcurrency(base: URL, o: ResolvedGatewayOptions, event: Buffer): Promise<CheckResult> {
  const n = o.concurrency;
  const agents = Array.from({ length: n }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    const started = Date.now();
    const outcomes = await Promise.all(agents.map((agent) => probe(agent, base, o, 'POST', '/invoke', '/invoke', event, o.timeout * 1000).then((r) => r.status < 300, () => false)));
    const answered = outcomes.filter(Boolean).length;
    if (answered === n) return result('concurrency', 'PASS', `${n} invocations on ${n} connections at once, all answered in ${Date.now() - started} ms`);
    return result('concurrency', 'FAIL', `${n - answered} of ${n} invocations at once were not answered within the function timeout (${o.timeout} s)`, 'Serve requests concurrently (a server that handles one connection at a time cannot take FC\'s instance concurrency); or set instanceConcurrency to 1.');
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

export async function checkSigterm(child: ChildProcess, stopTimeout: number, fix: string): Promise<CheckResult> {
  const started = Date.now();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
  const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, stopTimeout * 1000, false))]);
  if (inTime) return result('sigterm', 'PASS', `exited ${Date.now() - started} ms after SIGTERM`);
  return result('sigterm', 'WARN', `still running ${stopTimeout} s after SIGTERM (killed)`, fix);
}

/** The runtime behind the process, from `/proc/<pid>/exe` (a shell's child included): `node`, or undefined. */
export function readRuntime(pid: number): 'node' | undefined {
  const pids = [pid];
  try {
    pids.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch { /* no /proc */ }
  for (const candidate of pids) {
    try {
      if (/\bnode[\d.]*$/.test(readlinkSync(`/proc/${candidate}/exe`))) return 'node';
    } catch { /* gone or unreadable */ }
  }
  return undefined;
}
