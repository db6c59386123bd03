/**
 * WebSocket through the gateway, as FC 3.0's HTTP trigger carries it: a `GET` with `Upgrade:
 * websocket` on the trigger's paths passes FC's rules (the request limits, an unknown function,
 * the Initializer), then goes to the container over a connection of its own (not the keep-alive
 * agent), the handshake's headers both ways; the container's `101` is returned as it is and the
 * two sockets are piped (with backpressure). The open connection is one invocation: it holds a
 * concurrency slot until it closes, the function timeout destroys both sockets without a close
 * frame (the client sees 1006, as on FC), and its summary line is printed when it closes.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../rules/errors.js';
import { RequestHeaderScan, scanRequestHeaders } from '../rules/request-headers.js';
import { checkRequestLimits } from '../rules/limit-checks.js';
import { describeCall } from './call.js';
import { buildFcHeaders } from './fc-headers.js';
import { copyCallerHeaders, droppedRequestHeaders } from './header-rules.js';
import { newRequestId } from './ids.js';
import { ensureInitialized } from './initializer.js';
import { formatPlatformError, readErrorShape } from './replies.js';
import { billDuration, reportInvocation } from './reports.js';
import { resolveRoute, type HttpRoute } from './routes.js';
import type { GatewayInstance, GatewayState } from './state.js';
import { getReadyInstance } from './supervisor.js';
import { SocketReply } from './socket-reply.js';

/** The handshake's own headers, forwarded though the trigger drops them on other requests. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set(['connection', 'upgrade']);

/** An open relay: the caller's socket and the container's. */
export interface Relay {
  readonly client: Duplex;
  upstream: Duplex | undefined;
  /** Called once its summary line is printed (set by {@link destroyRelays}). */
  onReported: (() => void) | undefined;
}

/** Handles a caller's `'upgrade'` on the gateway's server. */
export async function onGatewayUpgrade(gw: GatewayState, req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
  client.on('error', destroyThis);
  const requestId = newRequestId(gw.options.profile.name);
  const url = req.url ?? '/';
  const reply = new SocketReply(client);
  const route = resolveRoute(req.method ?? 'GET', url, gw.served);
  const shape = readErrorShape(url);
  if (route.kind !== 'http') {
    const error = route.kind === 'error' ? route.error : new GatewayError('FC_BAD_REQUEST', 'A WebSocket handshake goes to the HTTP trigger, not an invocation API');
    reply.sendJson(error.status, formatPlatformError(error, requestId, shape), requestId);
    return;
  }
  const scan = new RequestHeaderScan();
  scanRequestHeaders(req.rawHeaders, scan);
  const refusal = (req.headers.upgrade ?? '').trim().toLowerCase() !== 'websocket'
    ? new GatewayError('FC_BAD_REQUEST', `Upgrade "${req.headers.upgrade ?? ''}" is not supported; only WebSocket is`)
    : checkRequestLimits(url, scan.headerBytes, 0, gw.options.limits);
  if (refusal) {
    gw.printer.warn(`RequestId: ${requestId} refused: ${refusal.message}`);
    reply.sendJson(refusal.status, formatPlatformError(refusal, requestId, shape), requestId);
    return;
  }
  let release: () => void;
  try {
    release = await gw.slots.acquire();
  } catch {
    const error = new GatewayError('FC_SHUTTING_DOWN', 'The emulator is shutting down');
    reply.sendJson(error.status, formatPlatformError(error, requestId, shape), requestId);
    return;
  }
  let forwarded = false;
  try {
    let instance: GatewayInstance;
    try {
      instance = await getReadyInstance(gw);
    } catch (error) {
      const failure = new GatewayError('FC_FUNCTION_NOT_STARTED', (error as Error).message);
      reply.sendJson(failure.status, formatPlatformError(failure, requestId, shape), requestId);
      return;
    }
    if (client.destroyed || !(await ensureInitialized(gw, instance, reply, requestId, false)) || client.destroyed) return;
    forward(gw, instance, req, client, head, requestId, route);
    forwarded = true;
  } finally {
    // The open connection holds its slot until it closes, as one invocation.
    if (forwarded) client.once('close', release);
    else release();
  }
}

/** Sends the handshake to the container on a connection of its own and relays what comes back. */
function forward(gw: GatewayState, instance: GatewayInstance, req: IncomingMessage, client: Duplex, head: Buffer, requestId: string, route: HttpRoute): void {
  const o = gw.options;
  const relay: Relay = { client, upstream: undefined, onReported: undefined };
  gw.relays.add(relay);
  const call = describeCall(req, requestId, route, Buffer.alloc(0));
  const { headers } = copyCallerHeaders(req.rawHeaders, droppedRequestHeaders(o.profile), HANDSHAKE_HEADERS);
  Object.assign(headers, buildFcHeaders(gw, requestId, '/http-invoke', {
    serviceName: route.serviceName, qualifier: route.qualifier, basePath: route.basePath, clientIp: call.clientIp,
  }));
  const started = performance.now();
  let status = 0;
  let error: string | undefined;
  const upstreamRequest = httpRequest({ host: instance.host, port: instance.port, method: 'GET', path: call.url, headers, agent: false });
  const timer = setTimeout(() => {
    // FC closes both sides at the deadline, without a close frame: the client sees 1006.
    error = 'FunctionTimeout';
    upstreamRequest.destroy();
    relay.upstream?.destroy();
    client.destroy();
  }, o.timeout * 1000);
  client.once('close', () => {
    clearTimeout(timer);
    gw.relays.delete(relay);
    relay.upstream?.destroy();
    const durationMs = performance.now() - started;
    reportInvocation(gw, {
      requestId, instanceId: instance.id, kind: 'http', method: 'GET', path: call.url, status, error, durationMs,
      billedMs: billDuration(durationMs, o.billingUnit), memorySize: o.memory, maxMemoryUsed: undefined,
    });
    relay.onReported?.();
  });
  upstreamRequest.on('upgrade', (res: IncomingMessage, upstream: Duplex, upstreamHead: Buffer) => {
    status = 101;
    relay.upstream = upstream;
    upstream.on('error', destroyThis);
    upstream.once('close', () => client.destroy());
    let head101 = `HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}\r\n`;
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) head101 += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
    client.write(head101 + '\r\n');
    if (upstreamHead.length > 0) client.write(upstreamHead);
    if (head.length > 0) upstream.write(head);
    // pipe() keeps each direction within its reader's pace (backpressure).
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstreamRequest.on('response', (res: IncomingMessage) => {
    // The container refused the upgrade: its answer goes back as it is, then the connection ends.
    status = res.statusCode ?? 502;
    let headText = `HTTP/1.1 ${status} ${res.statusMessage ?? ''}\r\n`;
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      const name = res.rawHeaders[i]!.toLowerCase();
      if (name === 'connection' || name === 'transfer-encoding' || name === 'content-length') continue;
      headText += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
    }
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      client.end(`${headText}content-length: ${body.length}\r\nx-fc-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body.toString('latin1')}`, 'latin1');
    });
  });
  upstreamRequest.on('error', (failure: Error) => {
    if (status !== 0) return;
    status = 502;
    error = error ?? 'ConnectionClosed';
    const errorMessage = `The function's server closed the connection without answering the handshake (${failure.message})`;
    new SocketReply(client).sendJson(502, JSON.stringify({ errorMessage, errorType: 'ConnectionClosed' }), requestId);
  });
  upstreamRequest.end();
}

function destroyThis(this: Duplex): void {
  this.destroy();
}

/**
 * At stop: the container's shutdown has sent its close frames (1001) while it stopped; what is
 * still open is destroyed, so `server.close()`, which waits for upgraded sockets, can finish.
 * Resolves once each of them has closed: its summary line is printed then, a turn after the
 * destroy, and a CLI exits as soon as the stop resolves.
 */
export function destroyRelays(gw: GatewayState): Promise<void> {
  // A relay still in the set has not run its close listener (it leaves the set there), even
  // when its socket is destroyed already: each one left calls back once it has.
  const reported: Promise<void>[] = [];
  for (const relay of gw.relays) {
    reported.push(new Promise<void>((resolve) => { relay.onReported = resolve; }));
    relay.upstream?.destroy();
    relay.client.destroy();
  }
  return Promise.all(reported).then(() => {});
}
