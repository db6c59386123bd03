/**
 * FC's asynchronous invocation at the gateway: `x-fc-invocation-type: Async` on both invocation
 * APIs and on the HTTP trigger ("Set the X-Fc-Invocation-Type: Async request header",
 * https://www.alibabacloud.com/help/en/functioncompute/result-callback) is answered `202` at once
 * with its request id and an empty body; the event runs later (async-events.ts), each attempt as a
 * synchronous call would, its answer recorded instead of sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { GatewayError, INITIALIZATION_ERROR, UNHANDLED_INVOCATION_ERROR } from '../rules/errors.js';
import type { AsyncAttempt, AsyncEventRecord } from './async-events.js';
import { describeCall, RecordedReply, type Call } from './call.js';
import { headerValue } from './exchange.js';
import { invoke } from './forward.js';
import { ensureInitialized } from './initializer.js';
import { readErrorShape, sendFcError } from './replies.js';
import type { HttpRoute, InvokeRoute } from './routes.js';
import type { GatewayInstance, GatewayState } from './state.js';
import { getReadyInstance } from './supervisor.js';

/**
 * FC's asynchronous payload limit: "the maximum payload for an asynchronous invocation is 128 KB"
 * (https://www.alibabacloud.com/help/doc-detail/2527064.html), in both generations.
 */
export const ASYNC_PAYLOAD_LIMIT = 128 * 1024;
/** `x-fc-async-delay`: seconds, "(0,3600)" (https://help.aliyun.com/document_detail/2513619.html). */
export const MAX_ASYNC_DELAY_SECONDS = 3600;
/** The stateful asynchronous invocation id: FC 3.0's API header, and FC 2.0's (InvokeFunction). */
const TASK_ID_HEADERS = { fc3: 'x-fc-async-task-id', fc2: 'x-fc-stateful-async-invocation-id' } as const;

/** Whether a request asks for an asynchronous invocation. */
export function isAsyncRequest(req: IncomingMessage): boolean {
  return headerValue(req.headers['x-fc-invocation-type'])?.trim().toLowerCase() === 'async';
}

/** FC's 400 `EntityTooLarge` for an asynchronous payload over the limit. */
export function createAsyncPayloadError(size: number | undefined): GatewayError {
  return new GatewayError('FC_ASYNC_PAYLOAD_TOO_LARGE', `payload size exceeds maximum allowed size (${ASYNC_PAYLOAD_LIMIT} bytes)`, ASYNC_PAYLOAD_LIMIT, size);
}

/** The task id header of the route's API (FC 2.0's for the HTTP trigger). */
function taskIdHeader(route: InvokeRoute | HttpRoute): string {
  return route.kind === 'invoke' && route.api === 'fc3' ? TASK_ID_HEADERS.fc3 : TASK_ID_HEADERS.fc2;
}

/** Reads `x-fc-async-delay` (seconds); a `GatewayError` when it is not a number in FC's range. */
function readDelay(req: IncomingMessage): number | GatewayError {
  const value = headerValue(req.headers['x-fc-async-delay']);
  if (value === undefined || value.trim() === '') return 0;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ASYNC_DELAY_SECONDS) {
    return new GatewayError('FC_BAD_REQUEST', `x-fc-async-delay must be a number of seconds from 0 to ${MAX_ASYNC_DELAY_SECONDS}, got "${value}"`);
  }
  return seconds;
}

/**
 * Takes an asynchronous call in: `202 Accepted` with `x-fc-request-id` (and the task id under the
 * API's own header when one was given), then queued; a bad `x-fc-async-delay` is FC's 400.
 */
export function acceptAsync(gw: GatewayState, req: IncomingMessage, res: ServerResponse, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer): void {
  const delay = readDelay(req);
  if (delay instanceof GatewayError) {
    sendFcError(res, requestId, delay, readErrorShape(req.url ?? '/'));
    return;
  }
  if (gw.closing) {
    sendFcError(res, requestId, new GatewayError('FC_SHUTTING_DOWN', 'The emulator is shutting down'), readErrorShape(req.url ?? '/'));
    return;
  }
  const header = taskIdHeader(route);
  const taskId = headerValue(req.headers[header])?.trim() || undefined;
  const call = describeCall(req, requestId, route, body);
  gw.async.accept(requestId, taskId, delay, call);
  const headers: Record<string, string> = { 'content-length': '0', 'x-fc-request-id': requestId };
  if (taskId !== undefined) headers[header] = taskId;
  res.writeHead(202, headers);
  res.end();
  gw.printer.line(`RequestId: ${requestId} accepted for asynchronous invocation${taskId === undefined ? '' : ` (task ${taskId})`}${delay > 0 ? `, delayed ${delay} s` : ''}`);
}

/** Error types an attempt may be retried for: the function's own failures (FC's retry page). */
const RETRIED = new Set([UNHANDLED_INVOCATION_ERROR, INITIALIZATION_ERROR]);

/**
 * One attempt of an event, as a synchronous call runs (a slot, the ready instance, the
 * Initializer, the invocation under the timeout), its answer recorded. A slot refused because the
 * gateway is stopping leaves the event to be dropped.
 */
export async function runAsyncAttempt(gw: GatewayState, record: AsyncEventRecord, call: Call, retryCount: number): Promise<AsyncAttempt & { retry: boolean }> {
  const started = performance.now();
  const reply = new RecordedReply();
  let release: () => void;
  try {
    release = await gw.slots.acquire();
  } catch {
    record.state = 'dropped';
    return { retryCount, status: 0, error: 'dropped', durationMs: 0, retry: false };
  }
  record.state = 'running';
  try {
    call.retryCount = retryCount;
    call.attempt = { number: retryCount + 1, of: gw.async.maxAttempts, taskId: record.taskId };
    let instance: GatewayInstance;
    try {
      instance = await getReadyInstance(gw);
    } catch {
      return { retryCount, status: 502, error: 'FunctionNotStarted', durationMs: performance.now() - started, retry: false };
    }
    if (await ensureInitialized(gw, instance, reply, call.requestId, true)) {
      await gw.printer.whenWritable();
      await invoke(gw, instance, call, reply, new AbortController().signal);
    }
  } finally {
    release();
  }
  const errorType = reply.headers['x-fc-error-type'];
  const failed = errorType !== undefined || reply.status >= 400;
  return {
    retryCount,
    status: reply.status,
    error: failed ? errorType ?? String(reply.status) : undefined,
    durationMs: performance.now() - started,
    retry: errorType !== undefined && RETRIED.has(errorType),
  };
}
