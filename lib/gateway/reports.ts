/**
 * What the gateway reports: one summary line per invocation (duration, billed duration, memory),
 * and the shapes of its events.
 */
import { formatMemory } from './memory.js';
import type { GatewayState } from './state.js';

/** One line per invocation, also emitted as `'invocation'`. */
export interface InvocationSummary {
  requestId: string;
  instanceId: string;
  kind: 'invoke' | 'http';
  method: string;
  /** The path the container was sent (`/invoke` for an event). */
  path: string;
  /** The status the caller got (0 when the caller went away first). */
  status: number;
  /** Why it failed, when it did: `UnhandledInvocationError`, `FunctionTimeout`, `BadResponse`, ... */
  error: string | undefined;
  /** From sending the request to the container until its response ended, ms. */
  durationMs: number;
  /** `durationMs` rounded up to the billing unit (1 ms by default, as FC 3.0 bills). */
  billedMs: number;
  /** The function's configured memory, MB. */
  memorySize: number;
  /** The instance's peak resident memory during the invocation, bytes; undefined when not measurable (`--target`). */
  maxMemoryUsed: number | undefined;
  /** An asynchronous event's attempt (1 of 4, ...) and its task id; undefined for a synchronous call. */
  attempt?: { number: number; of: number; taskId: string | undefined };
}

/** An Initializer run, emitted as `'initialize'`. */
export interface InitializeReport {
  requestId: string;
  instanceId: string;
  ok: boolean;
  /** The container's status, or 0 when it never answered (crash, timeout). */
  status: number;
  durationMs: number;
  error: string | undefined;
}

/** An instance that became ready, emitted as `'ready'`. */
export interface ReadyReport {
  instanceId: string;
  pid: number | undefined;
  port: number;
  /** Spawn until the port accepted a TCP connection, ms. */
  readyMs: number;
}

/** The cold start of the current instance. */
export interface ColdStart {
  instanceId: string;
  readyMs: number | undefined;
  initializerMs: number | undefined;
}

/** The billed duration: `durationMs` rounded up to the billing unit, at least one unit. */
export function billDuration(durationMs: number, unit: number): number {
  return Math.max(1, Math.ceil(durationMs / unit)) * unit;
}

export function reportInvocation(gw: GatewayState, summary: InvocationSummary): void {
  const { kind, method, path } = summary;
  const call = kind === 'invoke' ? 'Invoke' : `HTTP ${method} ${path.length > 80 ? path.slice(0, 77) + '...' : path}`;
  const attempt = summary.attempt;
  const what = attempt === undefined ? call
    : `${call} (async attempt ${attempt.number} of ${attempt.of}${attempt.taskId === undefined ? '' : `, task ${attempt.taskId}`})`;
  const outcome = summary.status === 0 ? 'caller gone' : String(summary.status);
  gw.printer.line(`RequestId: ${summary.requestId} ${what} -> ${outcome}${summary.error ? ` (${summary.error})` : ''}`
    + `  Duration: ${summary.durationMs.toFixed(2)} ms  Billed Duration: ${summary.billedMs} ms`
    + `  Memory Size: ${summary.memorySize} MB  Max Memory Used: ${formatMemory(summary.maxMemoryUsed)}`);
  gw.emit('invocation', summary);
}
