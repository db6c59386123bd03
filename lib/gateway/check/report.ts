/**
 * The conformance check's results: one line per check (PASS, WARN, FAIL or SKIP, what was seen,
 * and the fix for a WARN or FAIL), or one JSON document; and the fix for each check, the exact
 * option when the server is Node's (recognised from `/proc/<pid>/exe`).
 */
import type { ResolvedGatewayOptions } from '../options.js';

export type Verdict = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

/** One check's outcome. */
export interface CheckResult {
  id: string;
  verdict: Verdict;
  /** What was seen. */
  seen: string;
  /** For a WARN or FAIL: the fix, in one sentence. */
  fix?: string;
}

/** The fix for a check that did not pass, for a Node server when `runtime` says so. */
export function fixFor(id: string, runtime: 'node' | undefined, o: ResolvedGatewayOptions): string {
  const node = runtime === 'node';
  switch (id) {
    case 'start':
      return `Listen on FC_CUSTOM_LISTEN_PORT (or FC_SERVER_PORT) within ${o.startTimeout} s of the start; a command that hard-codes its port needs --container-port.`;
    case 'bind-address':
      return node ? 'Listen on every address: server.listen(port, \'0.0.0.0\') (or omit the host).' : 'Listen on 0.0.0.0 (every address), not on 127.0.0.1: FC connects from outside the container.';
    case 'keep-alive':
      return node ? 'Never close idle connections: server.keepAliveTimeout = 0 (Node\'s default of 5 s cuts the connections FC keeps).' : 'Keep idle connections open for more than 15 minutes (FC reuses them); turn off the server\'s keep-alive idle timeout.';
    case 'trickle':
      return node ? 'Do not time out slow uploads: server.requestTimeout = 0 (Node\'s default is 300 s for the whole request).' : 'Do not cut a request whose body is still arriving; the function timeout is FC\'s to enforce.';
    case 'initialize':
      return 'Answer POST /initialize with 2xx, and again when it is repeated: FC calls the Initializer again when a timed-out one did run.';
    case 'invoke':
      return 'Answer POST /invoke (x-fc-control-path: /invoke) with 2xx and the result as the body.';
    case 'invoke-status':
      return 'Send x-fc-status: 200 with the result (404 with a failure) so FC can tell a function error from a success.';
    case 'http':
      return 'Requests with x-fc-control-path: /http-invoke are HTTP-trigger requests: route them to the app by their path.';
    case 'response-headers-size':
      return `Keep the response headers under ${o.limits.responseHeaders} bytes (names and values, as FC counts them).`;
    case 'response-headers-forbidden':
      return node ? 'Do not set headers FC owns (res.removeHeader(name) before writing); FC drops them.' : 'Do not set headers FC owns (Server, X-Fc-* but x-fc-status, Content-Encoding, ...); FC drops them.';
    case 'markers':
      return 'Print "FC Invoke Start RequestId: <x-fc-request-id>" and "FC Invoke End RequestId: ..." around each request (fc-container does it), so FC cuts the logs per request.';
    case 'pre-stop':
      return `Answer GET /pre-stop within the PreStop timeout (${o.preStopTimeout} s).`;
    case 'sigterm':
      return node ? 'End on SIGTERM: process.on(\'SIGTERM\', () => server.close(() => process.exit(0))).' : 'End the process on SIGTERM, within the stop timeout.';
    default:
      return '';
  }
}

/** One line per check. */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.id.length));
  return results.map((r) => `${r.verdict.padEnd(4)}  ${r.id.padEnd(width)}  ${r.seen}${r.fix ? `\n${' '.repeat(width + 8)}fix: ${r.fix}` : ''}`).join('\n') + '\n';
}

/** The same as one JSON document, with the counts and whether anything failed. */
export function formatJsonReport(results: readonly CheckResult[]): string {
  const count = (v: Verdict): number => results.filter((r) => r.verdict === v).length;
  return `${JSON.stringify({ ok: count('FAIL') === 0, pass: count('PASS'), warn: count('WARN'), fail: count('FAIL'), skip: count('SKIP'), checks: results }, null, 2)}\n`;
}
