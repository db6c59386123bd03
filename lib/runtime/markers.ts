/**
 * The end of a request for FC's log: its timer and body watch stopped, its End marker queued
 * once, and its response's final write held until that marker is out (output.ts).
 */
import type { Invocation } from './invocation.js';
import type { MarkerKind } from './logger.js';
import { sendAfterMarkers, writeMarker, type Sender } from './output.js';

export const MARKER_KINDS: readonly MarkerKind[] = ['Invoke', 'Invoke', 'Initialize', 'PreStop', 'PreFreeze'];

/**
 * Queues the End marker once (markers may be off). Called when a request is over for FC's log:
 * right before its response's final write, or when its client went away.
 */
export function endInvocation(inv: Invocation): void {
  clearTimeout(inv.timer);
  if (inv.watched) {
    inv.watched = false;
    inv.runtime.bodyWatch.unwatch(inv.req);
  }
  // Shutting down: this response closes its connection, so the drain is not held up by keep-alive.
  if (inv.runtime.draining && !inv.res.headersSent) inv.res.shouldKeepAlive = false;
  if (inv.ended) return;
  inv.ended = true;
  writeMarker(MARKER_KINDS[inv.route]!, 'End', inv.requestId);
}

/** Ends the invocation and sends its response's final write once the End marker is written. */
export function finishInvocation<A, B>(inv: Invocation, sender: Sender<A, B>, a: A, b: B): void {
  endInvocation(inv);
  sendAfterMarkers(sender, inv.res, a, b);
}
