/**
 * `fc-container emulate --check`: FC's contract checked against any container, in any language.
 * The command is started as the emulator starts it (FC_CUSTOM_LISTEN_PORT and FC_SERVER_PORT
 * set, its own process group), or `--target` names a server already running; then one check
 * after another, each a {@link CheckResult}. Only loopback is ever connected to: the bind address
 * is read from `/proc` (listen-address.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { isLoopbackAddress, readListenAddresses } from '../listen-address.js';
import type { ResolvedGatewayOptions } from '../options.js';
import { findFreePort } from '../supervisor.js';
import { checkConcurrency, checkHeaders, checkIdle, checkMarkers, checkSigterm, checkTrickle, readRuntime, result } from './checks.js';
import { probe, type ProbeReply } from './probe.js';
import { fixFor, type CheckResult } from './report.js';

/** What `--check` adds to the emulator's options. */
export interface CheckOptions {
  /** Idle times in seconds a keep-alive connection must survive (default 7; `--long` adds 66 and 960). */
  idle: number[];
  /** Seconds an upload trickles in (`--trickle`, or 310 with `--long`); 0: not checked. */
  trickle: number;
  /** The event `POST /invoke` sends (default `{}`). */
  event: Buffer;
  /** Check the HTTP function at this path (`--http`, `--http-path`). */
  httpPath: string | undefined;
}

/** Polls the port every 20 ms: resolves to the ms it took to open, or rejects at the timeout or the command's exit. */
async function waitForPort(port: number, timeoutMs: number, child: ChildProcess | undefined): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the command exited (${child.exitCode}) before its port opened`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`port ${port} did not open within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}


/** Runs the battery; the results in order. */
export async function runCheck(o: ResolvedGatewayOptions, c: CheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let child: ChildProcess | undefined;
  let stdout = '';
  let port: number;
  let base: URL;
  if (o.target) {
    base = o.target;
    port = Number(base.port || 80);
  } else {
    port = o.containerPort || await findFreePort();
    base = new URL(`http://127.0.0.1:${port}`);
    child = spawn(o.command![0]!, o.command!.slice(1), {
      env: { ...process.env, ...o.env, FC_CUSTOM_LISTEN_PORT: String(port), FC_SERVER_PORT: String(port), FC_CONTAINER_PROFILE: o.profile.name },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr!.resume();
    child.on('error', () => {});
  }
  // Read when a first fix is needed: by then the command has started its server.
  let runtime: 'node' | undefined | null = null;
  const fix = (id: string): string => {
    if (runtime === null) runtime = child?.pid ? readRuntime(child.pid) : undefined;
    return fixFor(id, runtime, o);
  };
  try {
    // start
    try {
      const ms = await waitForPort(port, o.startTimeout * 1000, child);
      results.push(result('start', 'PASS', child ? `port ${port} open ${ms} ms after the start (cold start)` : `${base.origin} answers`));
    } catch (error) {
      results.push(result('start', 'FAIL', (error as Error).message, fix('start')));
      return results;
    }
    // bind address
    if (!child) {
      results.push(result('bind-address', 'SKIP', 'needs the process (--target)'));
    } else {
      const addresses = readListenAddresses(child.pid!, port);
      if (addresses === undefined) results.push(result('bind-address', 'SKIP', '/proc cannot tell this process\'s listening address'));
      else if (addresses.some((a) => a === '0.0.0.0' || a === '::')) results.push(result('bind-address', 'PASS', `listens on ${addresses.join(', ')}`));
      else if (addresses.every(isLoopbackAddress)) results.push(result('bind-address', 'FAIL', `listens on ${addresses.join(', ')} only: FC cannot reach it (FunctionNotStarted)`, fix('bind-address')));
      else results.push(result('bind-address', 'WARN', `listens on ${addresses.join(', ')}, not every address`, fix('bind-address')));
    }

    const replies: ProbeReply[] = [];
    // Request ids of the keep-alive check's hand-written requests, for the markers check.
    const rawIds: string[] = [];
    const timeoutMs = o.timeout * 1000;
    const send = async (agent: Agent, method: string, path: string, controlPath: string, body?: Buffer): Promise<ProbeReply> => {
      const reply = await probe(agent, base, o, method, path, controlPath, body, timeoutMs);
      replies.push(reply);
      return reply;
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // control paths
      if (o.initializer) {
        const first = await send(agent, 'POST', '/initialize', '/initialize').catch((e: Error) => e);
        const second = first instanceof Error ? first : await send(agent, 'POST', '/initialize', '/initialize').catch((e: Error) => e);
        const describe = (r: ProbeReply | Error): string => (r instanceof Error ? r.message : String(r.status));
        if (!(first instanceof Error) && first.status < 300 && !(second instanceof Error) && second.status < 300) results.push(result('initialize', 'PASS', `POST /initialize answered ${first.status}, again ${second.status}`));
        else results.push(result('initialize', 'FAIL', `POST /initialize answered ${describe(first)}, then ${describe(second)}`, fix('initialize')));
      } else {
        results.push(result('initialize', 'SKIP', 'no Initializer (--initializer to check it)'));
      }
      const invoked = await send(agent, 'POST', '/invoke', '/invoke', c.event).catch((e: Error) => e);
      if (invoked instanceof Error) results.push(result('invoke', 'FAIL', `POST /invoke: ${invoked.message}`, fix('invoke')));
      else if (invoked.status >= 300) results.push(result('invoke', 'FAIL', `POST /invoke answered ${invoked.status}`, fix('invoke')));
      else if (invoked.headers['x-fc-status'] === undefined) results.push(result('invoke', 'WARN', `POST /invoke answered ${invoked.status} without x-fc-status`, fix('invoke-status')));
      else results.push(result('invoke', 'PASS', `POST /invoke answered ${invoked.status}, x-fc-status ${String(invoked.headers['x-fc-status'])}`));
      if (c.httpPath !== undefined) {
        const viaHttp = await send(agent, 'GET', c.httpPath, '/http-invoke').catch((e: Error) => e);
        if (viaHttp instanceof Error || viaHttp.status >= 500) results.push(result('http', 'FAIL', `GET ${c.httpPath}: ${viaHttp instanceof Error ? viaHttp.message : viaHttp.status}`, fix('http')));
        else results.push(result('http', 'PASS', `GET ${c.httpPath} (x-fc-control-path: /http-invoke) answered ${viaHttp.status}`));
      }
    } finally {
      // Its connection closed first: a server serving one connection at a time gets to the next.
      agent.destroy();
    }
    // keep-alive: the connection FC reuses must outlive an idle spell
    for (const seconds of c.idle) results.push(await checkIdle(base, o, seconds, rawIds, fix('keep-alive')));
    if (c.trickle > 0) results.push(await checkTrickle(base, c.trickle, o, fix('trickle')));

    // response headers, over every answer so far
    results.push(checkHeaders(replies, o, fix));

    // markers
    if (!child) results.push(result('markers', 'SKIP', 'needs the command\'s stdout (--target)'));
    else results.push(checkMarkers([...replies.map((r) => r.requestId), ...rawIds], stdout, fix('markers')));

    // concurrency
    if (o.concurrency > 1) results.push(await checkConcurrency(base, o, c.event));

    // stop
    if (o.preStop) {
      const stopAgent = new Agent({ keepAlive: false });
      try {
        const reply = await probe(stopAgent, base, o, 'GET', '/pre-stop', '/pre-stop', undefined, o.preStopTimeout * 1000);
        results.push(result('pre-stop', reply.status < 300 ? 'PASS' : 'FAIL', `GET /pre-stop answered ${reply.status}`, fix('pre-stop')));
      } catch (error) {
        results.push(result('pre-stop', 'FAIL', `GET /pre-stop: ${(error as Error).message}`, fix('pre-stop')));
      } finally {
        stopAgent.destroy();
      }
    }
    if (child) results.push(await checkSigterm(child, o.stopTimeout, fix('sigterm')));
    else results.push(result('sigterm', 'SKIP', 'needs the process (--target)'));
    return results;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

