/**
 * Upstream forwarding: one invocation sent to the instance as FC sends it (`POST /invoke` for an
 * event, the caller's request for the HTTP trigger), under the function timeout, measured and
 * summarized.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { readAnswer } from './answer.js';
import { createHeadOverflowError, describeLostRequest, isHeadOverflow, sendToInstance, type ExchangeSpec } from './exchange.js';
import { buildFcHeaders } from './fc-headers.js';
import { droppedRequestHeaders } from './header-rules.js';
import { readRouteShape, sendFunctionFailure } from './replies.js';
import { replaceResponse, sendAnswer } from './respond.js';
import { reportInvocation } from './reports.js';
import type { HttpRoute, InvokeRoute } from './routes.js';
import type { GatewayInstance, GatewayState } from './state.js';
import { restartInstance } from './supervisor.js';

function readClientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The request FC sends the instance: `POST /invoke` with the event, or the caller's HTTP request, with FC's headers. */
function buildUpstreamRequest(gw: GatewayState, req: IncomingMessage, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer): ExchangeSpec {
  const ip = readClientIp(req);
  if (route.kind === 'invoke') {
    return {
      method: 'POST',
      path: '/invoke',
      headers: {
        ...buildFcHeaders(gw, requestId, '/invoke', { serviceName: route.serviceName, qualifier: route.qualifier, clientIp: ip }),
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
      },
      body,
    };
  }
  const headers: Record<string, string | string[]> = {};
  const dropped = droppedRequestHeaders(gw.options.profile);
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith('x-fc-') || dropped.has(name)) continue;
    const value = raw[i + 1]!;
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
  Object.assign(headers, buildFcHeaders(gw, requestId, '/http-invoke', {
    serviceName: route.serviceName, qualifier: route.qualifier, basePath: route.basePath, clientIp: ip,
  }));
  return { method: req.method ?? 'GET', path: req.url ?? '/', headers, body };
}

/**
 * One invocation inside the instance, under the function timeout (502 `FunctionTimeout` and a
 * restart past it): sent, its whole answer read and passed on, its duration and peak memory reported.
 */
export async function invoke(gw: GatewayState, instance: GatewayInstance, req: IncomingMessage, res: ServerResponse, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer, gone: AbortSignal): Promise<void> {
  const o = gw.options;
  const spec = buildUpstreamRequest(gw, req, requestId, route, body);
  // A timeout or a crash through an invocation API is answered 200, as FC does (replies.ts).
  const failureStatus = route.kind === 'invoke' ? 200 : 502;
  // The peak is reset only when nothing else runs inside: with concurrency, a figure covers the
  // overlapping invocations too (it is the instance's peak, as FC measures an instance).
  const measured = instance.inFlight === 0 ? instance.resetPeak() : instance.child !== undefined;
  instance.inFlight++;
  const controller = new AbortController();
  let timedOut = false;
  let status = 0;
  let error: string | undefined;
  let peak: number | undefined;
  let durationMs: number | undefined;
  const started = performance.now();
  const timer = setTimeout(() => {
    timedOut = true;
    peak = measured ? instance.readPeak() : undefined;
    controller.abort();
    status = failureStatus;
    error = 'FunctionTimeout';
    const usage = peak === undefined ? '' : ` (maxMemoryUsage: ${(peak / (1024 * 1024)).toFixed(2)}MB)`;
    if (!gone.aborted) sendFunctionFailure(res, failureStatus, requestId, { errorMessage: `Function timed out after ${o.timeout} seconds${usage}`, errorType: 'FunctionTimeout' });
    restartInstance(gw, instance, `an invocation timed out after ${o.timeout} s`);
  }, o.timeout * 1000);
  let headed = false;
  try {
    const upstream = await sendToInstance(instance, spec, controller.signal, gw.maxResponseHead);
    headed = true;
    const answer = await readAnswer(upstream, o.limits.body);
    // The invocation ends here, when the container has answered, whatever the caller does next.
    durationMs = performance.now() - started;
    clearTimeout(timer);
    const answered = sendAnswer(gw, res, requestId, spec.method, upstream, answer, route, gone);
    status = answered.status;
    error = answered.error;
  } catch (failure) {
    if (!timedOut) {
      // Nothing went to the caller yet: the answer is sent only once it is whole.
      status = 502;
      if (isHeadOverflow(failure)) {
        // The container answered, with a head past what the parser reads: over the limit, not lost.
        const refusal = createHeadOverflowError(gw.maxResponseHead, o.limits.responseHeaders);
        durationMs = performance.now() - started;
        if (!gone.aborted) replaceResponse(gw, res, requestId, refusal, readRouteShape(route));
        error = refusal.errorCode;
      } else {
        const lost = await describeLostRequest(instance, failure as Error, headed);
        status = failureStatus;
        error = lost.errorType;
        if (!gone.aborted) sendFunctionFailure(res, failureStatus, requestId, { errorMessage: lost.message, errorType: lost.errorType });
      }
    }
  } finally {
    clearTimeout(timer);
    instance.inFlight--;
    durationMs ??= performance.now() - started;
    if (!timedOut) peak = measured ? instance.readPeak() : undefined;
    reportInvocation(gw, {
      requestId,
      instanceId: instance.id,
      kind: route.kind,
      method: spec.method,
      path: spec.path,
      status: gone.aborted ? 0 : status,
      error,
      durationMs,
      billedMs: Math.max(1, Math.ceil(durationMs / o.billingUnit)) * o.billingUnit,
      memorySize: o.memory,
      maxMemoryUsed: peak,
    });
  }
}
