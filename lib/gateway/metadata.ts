/**
 * What FC adds to an invocation's answer, on its APIs and its HTTP trigger alike, as its own HTTP
 * samples show (an HTTP-trigger call with `X-Fc-Log-Type: Tail` answers `X-Fc-Instance-Id`,
 * `X-Fc-Invocation-Duration: 4` for `Billed Duration: 4 ms`, `X-Fc-Invocation-Service-Version:
 * LATEST`, `X-Fc-Max-Memory-Usage: 100.26`, `X-Fc-Log-Result` and an
 * `Access-Control-Expose-Headers` naming them). Each value is the one the gateway's summary line
 * prints for that request id.
 */
import { formatMemory } from './memory.js';
import type { InvocationSummary } from './reports.js';

/** The headers a browser may read of an answer: FC's metadata, named in `access-control-expose-headers`. */
export const EXPOSED_HEADERS = 'Date,x-fc-request-id,x-fc-error-type,x-fc-invocation-duration,x-fc-max-memory-usage,x-fc-log-result,x-fc-instance-id,x-fc-invocation-service-version';

/** MB with two decimals, as FC's `x-fc-max-memory-usage` (and the summary line) print it. */
function toMegabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(2);
}

/**
 * The metadata headers, as a flat name/value list. `x-fc-max-memory-usage` is absent when the
 * peak cannot be measured (`--target`), `x-fc-log-result` when no tail was asked for or read.
 * `exposeHeaders` is false when the function set its own `access-control-expose-headers` (an HTTP
 * function's CORS answer is left as the function wrote it).
 */
export function buildMetadataHeaders(summary: InvocationSummary, qualifier: string, logResult: string | undefined, exposeHeaders: boolean): string[] {
  const headers = [
    'x-fc-invocation-duration', String(summary.billedMs),
    'x-fc-instance-id', summary.instanceId,
    'x-fc-invocation-service-version', qualifier,
  ];
  if (summary.maxMemoryUsed !== undefined) headers.push('x-fc-max-memory-usage', toMegabytes(summary.maxMemoryUsed));
  if (logResult !== undefined) headers.push('x-fc-log-result', logResult);
  if (exposeHeaders) headers.push('access-control-expose-headers', EXPOSED_HEADERS);
  return headers;
}

/** The summary as FC's log tail ends it: `Duration: 3.87 ms, Billed Duration: 4 ms, Memory Size: 128 MB, Max Memory Used: 100.26 MB`. */
export function formatTailSummary(summary: InvocationSummary): string {
  return `Duration: ${summary.durationMs.toFixed(2)} ms, Billed Duration: ${summary.billedMs} ms, Memory Size: ${summary.memorySize} MB, Max Memory Used: ${formatMemory(summary.maxMemoryUsed)}`;
}
