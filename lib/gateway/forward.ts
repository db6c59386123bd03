/**
 * Upstream forwarding: one invocation sent to the instance as FC sends it (`POST /invoke` for an
 * event, the caller's request for the HTTP trigger), under the function timeout, measured and
 * summarized.
 */
import { performance } from 'node:perf_hooks';
import { readAnswer } from './answer.js';
import type { Call, ReplyTarget } from './call.js';
import { createHeadOverflowError, describeLostRequest, isHeadOverflow, sendToInstance, TIMER_SLACK_MS, type ExchangeSpec } from './exchange.js';
import { buildFcHeaders } from './fc-headers.js';
import { copyCallerHeaders, droppedRequestHeaders } from './header-rules.js';
import { readRouteShape, sendFunctionFailure } from './replies.js';
import { replaceResponse, sendAnswer } from './respond.js';
import { formatLogTail, waitForEnd } from './log-tail.js';
import { buildMetadataHeaders, formatTailSummary } from './metadata.js';
import { billDuration, reportInvocation, type InvocationSummary } from './reports.js';
import type { GatewayInstance, GatewayState } from './state.js';
import { restartInstance } from './supervisor.js';

/** The request FC sends the instance: `POST /invoke` with the event, or the caller's HTTP request, with FC's headers. */
function buildUpstreamRequest(gw: GatewayState, call: Call): ExchangeSpec {
  const { route, requestId, body, clientIp, retryCount } = call;
  if (route.kind === 'invoke') {
    return {
      method: 'POST',
      path: '/invoke',
      headers: {
        ...buildFcHeaders(gw, requestId, '/invoke', { serviceName: route.serviceName, qualifier: route.qualifier, clientIp, retryCount }),
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
      },
      body,
    };
  }
  const { headers, declaredLength } = copyCallerHeaders(call.rawHeaders, droppedRequestHeaders(gw.options.profile));
  if (body.length > 0 || declaredLength) headers['content-length'] = String(body.length);
  Object.assign(headers, buildFcHeaders(gw, requestId, '/http-invoke', {
    serviceName: route.serviceName, qualifier: route.qualifier, basePath: route.basePath, clientIp, retryCount,
  }));
  return { method: call.method, path: call.url, headers, body };
}

/**
 * One invocation inside the instance, under the function timeout (`FunctionTimeout` and a restart
 * past it): sent, its whole answer read and passed on with FC's metadata headers (metadata.ts) and,
 * when the caller asked with `x-fc-log-type: Tail`, its log tail (log-tail.ts), then its summary
 * line printed with the same values.
 */
export async function invoke(gw: GatewayState, instance: GatewayInstance, call: Call, res: ReplyTarget, gone: AbortSignal): Promise<void> {
  const o = gw.options;
  const { requestId, route } = call;
  const spec = buildUpstreamRequest(gw, call);
  // A timeout or a crash through an invocation API is answered 200, as FC does (replies.ts).
  const failureStatus = route.kind === 'invoke' ? 200 : 502;
  const log = gw.logs.open(requestId, wantsTail(gw, call.tailAsked));
  // The peak is reset only when nothing else runs inside: with concurrency, a figure covers the
  // overlapping invocations too (it is the instance's peak, as FC measures an instance).
  const measured = instance.inFlight === 0 ? instance.resetPeak() : instance.child !== undefined;
  instance.inFlight++;
  const controller = new AbortController();
  let timedOut = false;
  let summary: InvocationSummary | undefined;
  let durationMs: number | undefined;
  let peak: number | undefined;
  const started = performance.now();
  const deadline = started + o.timeout * 1000;
  /** The summary of what the caller gets (status, error), and the headers that carry it. */
  const summarize = (status: number, error: string | undefined, exposeHeaders = true): string[] => {
    durationMs ??= performance.now() - started;
    summary = {
      requestId, instanceId: instance.id, kind: route.kind, method: spec.method, path: spec.path,
      status: gone.aborted ? 0 : status, error, durationMs,
      billedMs: billDuration(durationMs, o.billingUnit),
      memorySize: o.memory, maxMemoryUsed: peak, attempt: call.attempt,
    };
    const tail = log.keep && log.started ? formatLogTail(log, formatTailSummary(summary)) : undefined;
    return buildMetadataHeaders(summary, route.qualifier ?? o.qualifier, tail, exposeHeaders);
  };
  /** The deadline passed: FC's `FunctionTimeout`, and the instance restarted. */
  const expire = (): void => {
    timedOut = true;
    peak = measured ? instance.readPeak() : undefined;
    controller.abort();
    const usage = peak === undefined ? '' : ` (maxMemoryUsage: ${(peak / (1024 * 1024)).toFixed(2)}MB)`;
    const extra = summarize(failureStatus, 'FunctionTimeout');
    if (!gone.aborted) sendFunctionFailure(res, failureStatus, requestId, { errorMessage: `Function timed out after ${o.timeout} seconds${usage}`, errorType: 'FunctionTimeout' }, undefined, extra);
    restartInstance(gw, instance, `an invocation timed out after ${o.timeout} s`);
  };
  const timer = setTimeout(expire, o.timeout * 1000);
  let headed = false;
  try {
    const upstream = await sendToInstance(instance, spec, controller.signal, gw.maxResponseHead);
    headed = true;
    const answer = await readAnswer(upstream, o.limits.body);
    if (performance.now() >= deadline - TIMER_SLACK_MS) {
      // Whole only at (or past) the deadline: a timeout, whichever the event loop ran first.
      clearTimeout(timer);
      expire();
      return;
    }
    // The invocation ends here, when the container has answered, whatever the caller does next.
    durationMs = performance.now() - started;
    clearTimeout(timer);
    peak = measured ? instance.readPeak() : undefined;
    // The End marker may still be in the pipe: the answer waits for it (log-tail.ts).
    if (log.keep) await waitForEnd(log, deadline, performance.now.bind(performance));
    sendAnswer(gw, res, requestId, spec.method, upstream, answer, route, gone, summarize);
  } catch (failure) {
    if (!timedOut) {
      // Nothing went to the caller yet: the answer is sent only once it is whole.
      durationMs = performance.now() - started;
      peak = measured ? instance.readPeak() : undefined;
      if (isHeadOverflow(failure)) {
        // The container answered, with a head past what the parser reads: over the limit, not lost.
        const refusal = createHeadOverflowError(gw.maxResponseHead, o.limits.responseHeaders);
        const extra = summarize(refusal.status, refusal.errorCode);
        if (!gone.aborted) replaceResponse(gw, res, requestId, refusal, readRouteShape(route), extra);
      } else {
        const lost = await describeLostRequest(instance, failure as Error, headed);
        const extra = summarize(failureStatus, lost.errorType);
        if (!gone.aborted) sendFunctionFailure(res, failureStatus, requestId, { errorMessage: lost.message, errorType: lost.errorType }, undefined, extra);
      }
    }
  } finally {
    clearTimeout(timer);
    instance.inFlight--;
    gw.logs.close(log);
    if (summary === undefined) summarize(0, undefined);
    reportInvocation(gw, summary!);
  }
}

/**
 * Whether the caller asked for the log tail (`x-fc-log-type: Tail`, both APIs and the HTTP
 * trigger, as FC answers it on each). With `--target` the gateway reads no output: it says so
 * once, and the header is left out.
 */
function wantsTail(gw: GatewayState, asked: boolean): boolean {
  if (!asked || gw.options.target === undefined) return asked;
  if (!gw.saidNoLogTail) {
    gw.saidNoLogTail = true;
    gw.printer.warn('x-fc-log-type: Tail asked for, but with --target the gateway reads no output of the server: x-fc-log-result is left out');
  }
  return false;
}
