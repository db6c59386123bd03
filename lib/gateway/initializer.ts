/**
 * FC's Initializer: `POST /initialize` once per instance before its first request; the requests
 * that arrive meanwhile wait for it, and a failure answers them all (a 500 restarts the instance).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ReplyTarget } from './call.js';
import { performance } from 'node:perf_hooks';
import { INITIALIZATION_ERROR, UNHANDLED_INVOCATION_ERROR } from '../rules/errors.js';
import { describeLostRequest, exchangeWhole, type WholeResponse } from './exchange.js';
import { buildFcHeaders } from './fc-headers.js';
import { filterResponseHeadersIn } from './header-rules.js';
import { newRequestId } from './ids.js';
import type { InitializeReport } from './reports.js';
import { isSuccess, passOnHeaders } from './respond.js';
import type { GatewayInstance, GatewayState, InitOutcome } from './state.js';
import { restartInstance } from './supervisor.js';

const EMPTY = Buffer.alloc(0);

/**
 * Runs the Initializer once per instance before its first request; false when it failed and the
 * request was answered: through an invocation API with 200 and `x-fc-error-type:
 * InitializationError` (FC's lifecycle-hook page, rules/errors.ts), through the HTTP trigger
 * with the Initializer's own status.
 */
export async function ensureInitialized(gw: GatewayState, instance: GatewayInstance, res: ReplyTarget, requestId: string, invocation: boolean): Promise<boolean> {
  if (!gw.options.initializer || instance.init.done) return true;
  const state = instance.init;
  if (!state.running) {
    const running = runInitializer(gw, instance);
    state.running = running;
    const clear = (): void => { if (state.running === running) state.running = undefined; };
    running.then(clear, clear);
  }
  const outcome = await state.running!;
  if (outcome.ok) return true;
  if (res.headersSent || res.destroyed) return false;
  const headers = [...outcome.headers, 'x-fc-request-id', requestId, 'x-fc-error-type', invocation ? INITIALIZATION_ERROR : UNHANDLED_INVOCATION_ERROR];
  if (outcome.body.length > 0) headers.push('content-length', String(outcome.body.length));
  res.writeHead(invocation ? 200 : outcome.status, headers);
  res.end(outcome.body);
  return false;
}

export async function runInitializer(gw: GatewayState, instance: GatewayInstance): Promise<InitOutcome> {
  const o = gw.options;
  const requestId = newRequestId(gw.options.profile.name);
  const headers: OutgoingHttpHeaders = { ...buildFcHeaders(gw, requestId, '/initialize'), 'content-length': '0' };
  const started = performance.now();
  const report = (ok: boolean, status: number, error: string | undefined): void => {
    const durationMs = performance.now() - started;
    if (ok) instance.initializerMs = Math.round(durationMs);
    gw.printer.line(`Initializer RequestId: ${requestId} ${ok ? 'succeeded' : 'failed'}${status ? ` (${status})` : ''}`
      + `${error ? `: ${error}` : ''} in ${durationMs.toFixed(2)} ms${ok ? ` (cold start: ${instance.readyMs ?? 0} ms to port open + ${instance.initializerMs} ms Initializer)` : ''}`);
    gw.emit('initialize', { requestId, instanceId: instance.id, ok, status, durationMs, error } satisfies InitializeReport);
  };
  let answer: WholeResponse;
  try {
    answer = await exchangeWhole(instance, { method: 'POST', path: '/initialize', headers, body: EMPTY }, o.initializationTimeout * 1000, gw.maxResponseHead);
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    const message = timedOut
      ? `Initializer timed out after ${o.initializationTimeout} seconds`
      : (await describeLostRequest(instance, error as Error)).message;
    report(false, 0, message);
    restartInstance(gw, instance, timedOut ? 'the Initializer timed out' : 'the Initializer did not answer');
    const body = Buffer.from(JSON.stringify({ errorMessage: message, errorType: timedOut ? 'InitializationTimeout' : 'InitializationError' }));
    return { ok: false, status: 502, headers: ['content-type', 'application/json'], body };
  }
  const ok = answer.status >= 200 && answer.status < 300 && isSuccess(answer.fcStatus);
  if (ok) {
    instance.init.done = true;
    report(true, answer.status, undefined);
    return { ok: true };
  }
  const restart = answer.status === 500;
  report(false, answer.status, restart ? 'restarting the instance; the next request initializes the new one' : 'the next request sends it again');
  if (restart) restartInstance(gw, instance, 'the Initializer answered 500');
  return { ok: false, status: answer.status, headers: passOnHeaders(filterResponseHeadersIn(gw.options.profile, answer.rawHeaders).kept, false), body: answer.body };
}
