/**
 * `res.writeHead` of an HTTP function: FC's response-header rules (forbidden names stripped,
 * the size limit) applied however the handler set its headers. A stripped name is warned about
 * once per process, but `content-length` and `transfer-encoding`: the framing writes those again
 * with their true values.
 */
import { ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import { createResponseHeadersError } from '../rules/limit-checks.js';
import { getMeasuredLength, restoreMeasuredLength } from './framing.js';
import { applyWriteHeadHeaders, classifyResponseHeader, countHeaderBytes, filterHeaderObject, holdsNoHeaders, stripResponseHeaders } from '../rules/headers.js';
import { kInvocation, type FcResponse, type Invocation } from './invocation.js';
import { log } from './invocation-log.js';
import { FC_STATUS_FAILED } from '../rules/response.js';
import { clearResponseHeaders } from '../rules/remove-header.js';

/** Node's own `writeHead` and `write`, loosely typed to forward whatever overload a handler used. */
const nodeWriteHead = ServerResponse.prototype.writeHead as (this: ServerResponse, status: number, ...rest: unknown[]) => ServerResponse;
const nodeWrite = ServerResponse.prototype.write as (this: ServerResponse, chunk: string) => boolean;

/**
 * `res.writeHead` of an HTTP function, also reached through `_implicitHeader()` when the handler
 * only calls `write`/`end`. Gathers the headers, strips those FC forbids (warning once per name),
 * and swaps in FC's 502 when what is left is over the response-header limit.
 */
export function writeHeadChecked(
  this: FcResponse,
  statusCode: number,
  reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
  headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
): ServerResponse {
  const inv = this[kInvocation]!;
  if (this.headersSent) return nodeWriteHead.call(this, statusCode, reason, headers);
  if (typeof reason !== 'string') {
    headers = reason;
    reason = undefined;
  }
  let bytes: number;
  if (headers !== undefined && headers !== null && !Array.isArray(headers) && holdsNoHeaders(this)) {
    // The usual writeHead(status, { ... }) with nothing set before: Node writes from the object,
    // and, as on a plain Node server, getHeader() does not see those headers afterwards.
    headers = filterHeaderObject(headers as OutgoingHttpHeaders, inv, warnStripped, inv.runtime.forbiddenResponseHeaders);
    bytes = countHeaderBytes(headers as OutgoingHttpHeaders);
  } else {
    if (headers) applyWriteHeadHeaders(this, headers as OutgoingHttpHeaders);
    headers = undefined;
    const measured = getMeasuredLength(this);
    bytes = stripResponseHeaders(this, inv, warnStripped, inv.runtime.forbiddenResponseHeaders);
    restoreMeasuredLength(this, measured);
  }
  if (inv.runtime.draining) this.shouldKeepAlive = false;
  const limit = inv.runtime.options.limits.responseHeaders;
  if (bytes <= limit) return reason === undefined ? nodeWriteHead.call(this, statusCode, headers) : nodeWriteHead.call(this, statusCode, reason, headers);

  const error = createResponseHeadersError(bytes, limit);
  log(inv, 'error', `Response replaced: ${error.message}`);
  clearResponseHeaders(this);
  const body = JSON.stringify(error);
  nodeWriteHead.call(this, error.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-fc-status': FC_STATUS_FAILED,
  });
  // Node quirk: writeHead often runs inside end(chunk) via _implicitHeader(), and end() writes
  // that chunk next. Write our body now, then mark the response bodiless: write_() checks
  // `_hasBody` after _implicitHeader() and drops the handler's bytes (lib/_http_outgoing.js).
  nodeWrite.call(this, body);
  this._hasBody = false;
  return this;
}

/** Warns once per process for each response header name the runtime strips, but the framing's own. */
function warnStripped(inv: Invocation, name: string): void {
  // The framing replaces content-length and transfer-encoding with their true values anyway (an
  // Express res.send sets the length on every response): a warning there would be noise.
  if (classifyResponseHeader(name, inv.runtime.forbiddenResponseHeaders) === 'framing') return;
  const { warnedHeaders } = inv.runtime;
  if (warnedHeaders.has(name)) return;
  warnedHeaders.add(name);
  log(inv, 'warn', `Response header "${name}" is set by the platform, not the function: removed (warned once per name)`);
}
