/**
 * The end of a request for FC's log: its timer and body watch stopped, its End marker queued
 * once, and its response's final write held until that marker is out (output.ts).
 */
import type { Invocation } from './invocation.js';
import type { MarkerKind } from './logger.js';
import { sendAfterMarkers, writeMarker, type Sender } from './output.js';
import { clearTimeout } from '../rules/timers.js';

/** The marker kind of each route, indexed by `ROUTE_*` (control-paths.ts). */
export const MARKER_KINDS: readonly MarkerKind[] = ['Invoke', 'Invoke', 'Initialize', 'PreStop', 'PreFreeze'];

/**
 * Marks the request over for FC's log: stops its timer and body watch and queues the End marker
 * once (markers may be off). Called right before its response's final write (through
 * {@link sendFinalWrite}), or alone when its client went away or its response closed.
 */
export function markInvocationOver(inv: Invocation): void {
  clearTimeout(inv.timer);
  if (inv.inBodyWatch) {
    inv.inBodyWatch = false;
    inv.runtime.bodyWatch.unwatch(inv.req);
  }
  // Shutting down: this response closes its connection, so the drain is not held up by keep-alive.
  if (inv.runtime.draining && !inv.res.headersSent) inv.res.shouldKeepAlive = false;
  if (inv.endMarkerWritten) return;
  inv.endMarkerWritten = true;
  writeMarker(MARKER_KINDS[inv.route]!, 'End', inv.requestId);
}

/** Marks the request over, then sends its response's final write once the End marker is written. */
export function sendFinalWrite<A, B>(inv: Invocation, sender: Sender<A, B>, a: A, b: B): void {
  markInvocationOver(inv);
  sendAfterMarkers(sender, inv.res, a, b);
}
