/**
 * The testing client's log capture: every marker and log line of an invocation a client made
 * goes to that invocation's list instead of stdout, and so do the handler's own `console.*`,
 * `process.stdout.write` and `process.stderr.write` lines (found by the invocation's context, so
 * the clients' servers enable `asyncContext`). Installed while at least one client is open, for
 * the whole process (several clients share it), and removed when the last closes.
 */
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import type { OutputInterceptor } from '../runtime/output.js';
import { redact } from '../rules/redact.js';

/** One invocation's lines, in the order they were written, secrets hidden. */
export interface CallLog {
  lines: string[];
  secrets: readonly string[];
  /** Also print each line on the real stdout (the client's `printLogs`). */
  print: boolean;
}

/** What the capture takes from the runtime (injected: this file is bundled into dist/testing.cjs). */
export interface CaptureHooks {
  interceptOutput(interceptor: OutputInterceptor | undefined): void;
  currentRequestId(): string | undefined;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
type ConsoleMethod = typeof CONSOLE_METHODS[number];

const calls = new Map<string, CallLog>();
let users = 0;
let originals: Partial<Record<ConsoleMethod, (...args: unknown[]) => void>> = {};

/** Starts collecting the lines of invocation `requestId`. */
export function trackCall(requestId: string, log: CallLog): void {
  calls.set(requestId, log);
}

/** Stops collecting for `requestId` (what comes later goes to stdout, as late output would). */
export function untrackCall(requestId: string): void {
  calls.delete(requestId);
}

function take(requestId: string, text: string): boolean {
  const call = calls.get(requestId);
  if (call === undefined) return false;
  const lines = redact(text, call.secrets).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) call.lines.push(line);
  // Straight to file descriptor 1: process.stdout.write would be taken again.
  if (call.print && lines.length > 0) writeSync(1, `${lines.join('\n')}\n`);
  return true;
}

const interceptor: OutputInterceptor = { marker: (line, id) => take(id, line), text: (text, id) => take(id, text) };

/** One more open client: installs the capture for the first. */
export function retainCapture(hooks: CaptureHooks): void {
  if (users++ > 0) return;
  hooks.interceptOutput(interceptor);
  // console.* as it is now (a runner's own console, Vitest's per-worker one, included).
  originals = {};
  for (const method of CONSOLE_METHODS) {
    const original = console[method] as (...args: unknown[]) => void;
    originals[method] = original;
    console[method] = function captured(this: Console, ...args: unknown[]): void {
      const requestId = hooks.currentRequestId();
      if (requestId === undefined || !take(requestId, format(...args))) original.apply(this, args);
    };
  }
}

/** One client fewer: the last one removes the capture and gives console back. */
export function releaseCapture(hooks: CaptureHooks): void {
  if (--users > 0) return;
  hooks.interceptOutput(undefined);
  for (const method of CONSOLE_METHODS) {
    if (originals[method] !== undefined) console[method] = originals[method]!;
  }
  originals = {};
}
