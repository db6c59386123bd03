/**
 * The container's whole answer sent on to the caller under FC's response rules, or replaced by
 * FC's error when it breaks them.
 */
import type { IncomingMessage } from 'node:http';
import type { ReplyTarget } from './call.js';
import { UNHANDLED_INVOCATION_ERROR, type GatewayError } from '../rules/errors.js';
import { createResponseHeadersError } from '../rules/limit-checks.js';
import { classifyResponseHeaderIn } from '../rules/profile.js';
import { answerLength, createAnswerTooLargeError, type AnswerBody } from './answer.js';
import { headerValue } from './exchange.js';
import { pairsToObject, readRouteShape, sendFcError, type ErrorShape } from './replies.js';
import type { HttpRoute, InvokeRoute } from './routes.js';
import { filterResponseHeadersIn } from './header-rules.js';
import type { GatewayState } from './state.js';

/** True for an answer FC counts as a success: no `x-fc-status`, or a 2xx one. */
export function isSuccess(fcStatus: string | undefined): boolean {
  return fcStatus === undefined || /^\s*2\d\d\s*$/.test(fcStatus);
}

/**
 * The headers the caller gets of those the rules `kept`: never `x-fc-status` (FC reads it, the
 * caller does not see it), and with `forceDownload` (FC's default domain) `content-disposition:
 * attachment` in place of the function's own.
 */
export function passOnHeaders(kept: readonly string[], forceDownload: boolean): string[] {
  const headers: string[] = [];
  for (let i = 0; i < kept.length; i += 2) {
    const name = kept[i]!;
    if (name === 'x-fc-status' || (forceDownload && name === 'content-disposition')) continue;
    headers.push(name, kept[i + 1]!);
  }
  if (forceDownload) headers.push('content-disposition', 'attachment');
  return headers;
}

/**
 * Sends the container's whole answer on to the caller under the profile's rules: forbidden headers
 * stripped (warned once per name), the response-header and payload limits (502 `BadResponse`),
 * `x-fc-status` read and never passed on, a failure marked `x-fc-error-type`, on the default
 * domain `content-disposition: attachment`, and the body's true length. A failure through an
 * invocation API is status 200, as FC's InvokeFunction answers one (replies.ts).
 * `summarize` is told the outcome and returns FC's metadata headers for it (forward.ts). A caller
 * already gone gets nothing (its response is destroyed; writing to it would fail).
 */
export function sendAnswer(gw: GatewayState, res: ReplyTarget, requestId: string, method: string, upstream: IncomingMessage, answer: AnswerBody, route: InvokeRoute | HttpRoute, gone: AbortSignal, summarize: Summarize): void {
  // FC forces `content-disposition: attachment` on its default aliyuncs.com domain only (FC 3.0's
  // HTTP response limits: https://help.aliyun.com/zh/functioncompute/fc-3-0/user-guide/web-functions,
  // https://alibabacloud.com/help/ja/functioncompute/code-development-in-custom-container-runtimes):
  // the 2.0 proxy path. A custom domain and FC 3.0's fcapp.run trigger (no page says it forces one), at the root, do not.
  const forceDownload = route.kind === 'http' && route.basePath !== '';
  const invocation = route.kind === 'invoke';
  const rules = gw.options.profile;
  const filtered = filterResponseHeadersIn(rules, upstream.rawHeaders);
  for (const name of filtered.stripped) {
    // On the wire, every server's own Date and Connection are there too: only the rest is the function's doing.
    if (classifyResponseHeaderIn(rules, name) !== 'platform') continue;
    if (gw.warned.has(name)) continue;
    gw.warned.add(name);
    gw.printer.warn(`Response header "${name}" is set by the platform, not the function: removed (warned once per name)`);
  }
  const limit = gw.options.limits.responseHeaders;
  if (filtered.bytes > limit || answer.tooLarge) {
    const refusal = filtered.bytes > limit ? createResponseHeadersError(filtered.bytes, limit) : createAnswerTooLargeError(gw.options.limits.body);
    const extra = summarize(refusal.status, refusal.errorCode);
    if (!gone.aborted) replaceResponse(gw, res, requestId, refusal, readRouteShape(route), extra);
    return;
  }
  const fcStatus = headerValue(upstream.headers['x-fc-status']);
  const failed = !isSuccess(fcStatus);
  const headers = passOnHeaders(filtered.kept, forceDownload);
  const status = failed && invocation ? 200 : upstream.statusCode ?? 502;
  const length = answerLength(method, status, upstream, answer.body);
  if (length !== undefined) headers.push('content-length', length);
  headers.push('x-fc-request-id', requestId);
  if (failed) headers.push('x-fc-error-type', UNHANDLED_INVOCATION_ERROR);
  // An HTTP function's own CORS answer stays as the function wrote it.
  headers.push(...summarize(status, failed ? UNHANDLED_INVOCATION_ERROR : undefined, !hasHeader(headers, 'access-control-expose-headers')));
  if (!gone.aborted && !res.destroyed) {
    res.writeHead(status, headers);
    res.end(answer.body);
  }
}

/** Told an answer's status and error, returns the metadata headers to send with it. */
export type Summarize = (status: number, error: string | undefined, exposeHeaders?: boolean) => string[];

function hasHeader(pairs: readonly string[], name: string): boolean {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === name) return true;
  return false;
}

/** The container's answer broke FC's response rules: the caller gets FC's error instead, in its API's shape. */
export function replaceResponse(gw: GatewayState, res: ReplyTarget, requestId: string, refusal: GatewayError, shape: ErrorShape, extra: readonly string[] = []): void {
  gw.printer.warn(`RequestId: ${requestId} response replaced: ${refusal.message}`);
  sendFcError(res, requestId, refusal, shape, { 'x-fc-error-type': UNHANDLED_INVOCATION_ERROR, ...pairsToObject(extra) });
}
