/**
 * A caller's request, from arrival to dispatch: routed (invocation APIs, HTTP trigger), checked
 * against FC's request limits, its body read, then a concurrency slot, the ready instance and its
 * Initializer before it is forwarded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainRequest, readBody } from '../rules/body.js';
import { FC_COMMON_ERROR, GatewayError, UNHANDLED_INVOCATION_ERROR } from '../rules/errors.js';
import { RequestHeaderScan, scanRequestHeaders } from '../rules/request-headers.js';
import { checkRequestLimits } from '../rules/limit-checks.js';
import { acceptAsync, ASYNC_PAYLOAD_LIMIT, createAsyncPayloadError, isAsyncRequest } from './async-invocation.js';
import { describeCall } from './call.js';
import { invoke } from './forward.js';
import { newRequestId } from './ids.js';
import { ensureInitialized } from './initializer.js';
import { QueueClosedError } from './queue.js';
import { readErrorShape, sendFcError } from './replies.js';
import { resolveRoute, type HttpRoute, type InvokeRoute } from './routes.js';
import type { GatewayInstance, GatewayState } from './state.js';
import { getReadyInstance } from './supervisor.js';

const EMPTY = Buffer.alloc(0);

export function onRequest(gw: GatewayState, req: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
  const requestId = newRequestId(gw.options.profile.name);
  const url = req.url ?? '/';
  const method = req.method ?? 'GET';
  const route = resolveRoute(method, url, gw.served);
  if (route.kind === 'error') {
    sendFcError(res, requestId, route.error, readErrorShape(url), route.allow ? { allow: route.allow } : {});
    return;
  }
  const scan = new RequestHeaderScan();
  scanRequestHeaders(req.rawHeaders, scan);
  const asyncCall = isAsyncRequest(req);
  const refusal = asyncCall && scan.contentLength > ASYNC_PAYLOAD_LIMIT
    ? createAsyncPayloadError(scan.contentLength)
    : checkRequestLimits(url, scan.headerBytes, scan.contentLength, gw.options.limits);
  if (refusal) {
    refuse(gw, req, res, requestId, refusal, expectContinue);
    return;
  }
  if (expectContinue) res.writeContinue();
  if (scan.contentLength > 0 || (scan.contentLength === -1 && scan.chunked)) {
    readBody(req, asyncCall ? Math.min(ASYNC_PAYLOAD_LIMIT, gw.options.limits.body) : gw.options.limits.body, gw, (gateway, error, body) => {
      if (error === null) start(gateway, req, res, requestId, route, body, asyncCall);
      else if ((error as GatewayError).code === 'FC_BODY_TOO_LARGE' && asyncCall) refuse(gateway, req, res, requestId, createAsyncPayloadError(undefined), false);
      else if ((error as GatewayError).errorCode) refuse(gateway, req, res, requestId, error as GatewayError, false);
      // else: the client went away mid-body; nobody to answer.
    });
    return;
  }
  start(gw, req, res, requestId, route, EMPTY, asyncCall);
}

/** An asynchronous call is taken in (202); any other is dispatched now. */
function start(gw: GatewayState, req: IncomingMessage, res: ServerResponse, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer, asyncCall: boolean): void {
  if (asyncCall) acceptAsync(gw, req, res, requestId, route, body);
  else void dispatch(gw, req, res, requestId, route, body);
}

/**
 * FC's 400 `InvalidArgument` with `connection: close`, then the rest of the body is read and
 * thrown away (bounded) before the connection closes, so the client reads its 400, not a reset.
 * After `Expect: 100-continue` the client may send the body anyway (RFC 9110 §10.1.1), so it is
 * drained too, and the connection half-closed once the 400 is out for a client that waits.
 */
export function refuse(gw: GatewayState, req: IncomingMessage, res: ServerResponse, requestId: string, error: GatewayError, expectContinue: boolean): void {
  gw.printer.warn(`RequestId: ${requestId} refused: ${error.message}`);
  sendFcError(res, requestId, error, readErrorShape(req.url ?? '/'), { 'x-fc-error-type': FC_COMMON_ERROR, connection: 'close' });
  drainRequest(req, res, expectContinue);
}

export async function dispatch(gw: GatewayState, req: IncomingMessage, res: ServerResponse, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer): Promise<void> {
  const gone = new AbortController();
  const onClose = (): void => { if (!res.writableFinished) gone.abort(); };
  res.once('close', onClose);
  let release: () => void;
  try {
    release = await gw.slots.acquire(gone.signal);
  } catch (error) {
    if (error instanceof QueueClosedError && !gone.signal.aborted) {
      sendFcError(res, requestId, new GatewayError('FC_SHUTTING_DOWN', 'The emulator is shutting down'), readErrorShape(req.url ?? '/'));
    }
    return;
  }
  try {
    let instance: GatewayInstance;
    try {
      instance = await getReadyInstance(gw);
    } catch (error) {
      sendFcError(res, requestId, new GatewayError('FC_FUNCTION_NOT_STARTED', (error as Error).message), readErrorShape(req.url ?? '/'), { 'x-fc-error-type': UNHANDLED_INVOCATION_ERROR });
      return;
    }
    if (gone.signal.aborted) return;
    if (!(await ensureInitialized(gw, instance, res, requestId, route.kind === 'invoke'))) return;
    // An output nobody reads holds invocations back, or their summary lines would pile up.
    await gw.printer.whenWritable();
    if (gone.signal.aborted) return;
    await invoke(gw, instance, describeCall(req, requestId, route, body), res, gone.signal);
  } finally {
    release();
  }
}
