/**
 * Cuts off a client that stops sending its body half way (a slow-loris upload), without cutting a
 * long upload that keeps moving or a long invocation after the body has arrived.
 *
 * Requests with a body join a watch set (one `Set.add`, no listener, no timer per request). A
 * sweep every {@link SWEEP_INTERVAL_MS} compares each socket's `bytesRead` with the previous sweep;
 * a request whose bytes have not moved for `bodyTimeoutMs`, and whose handler is not simply
 * holding the body back (a paused stream stops the socket on purpose), is reported stalled.
 * A request leaves the set when its response ends (or at the next sweep, whichever is first).
 */
import type { IncomingMessage } from 'node:http';
import { clearInterval, setInterval } from '../rules/timers.js';

/** How often the watch set is swept; the timeout is enforced to within this much. */
export const SWEEP_INTERVAL_MS = 1000;

interface Watch {
  bytesRead: number;
  stalledSince: number;
}

/** The body watch of one server. */
export class BodyWatch {
  readonly #timeoutMs: number;
  readonly #onStall: (req: IncomingMessage) => void;
  readonly #watched = new Map<IncomingMessage, Watch>();
  #timer: NodeJS.Timeout | undefined;

  /** `onStall` hears each stalled request once; it then leaves the watch. */
  constructor(timeoutMs: number, onStall: (req: IncomingMessage) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onStall = onStall;
  }

  /** Watches a request whose body is still coming. A no-op when the timeout is 0 (off). */
  watch(req: IncomingMessage): void {
    if (this.#timeoutMs === 0 || req.complete) return;
    this.#watched.set(req, { bytesRead: req.socket.bytesRead, stalledSince: Date.now() });
    if (this.#timer === undefined) {
      this.#timer = setInterval(sweep, Math.min(SWEEP_INTERVAL_MS, this.#timeoutMs), this);
      this.#timer.unref();
    }
  }

  /** Stops watching a request whose response is over, so it is not kept alive until the next sweep. */
  unwatch(req: IncomingMessage): void {
    this.#watched.delete(req);
  }

  /** One pass over the watched requests. */
  sweep(): void {
    const now = Date.now();
    for (const [req, watch] of this.#watched) {
      const { socket } = req;
      if (req.complete || socket.destroyed) {
        this.#watched.delete(req);
        continue;
      }
      const bytesRead = socket.bytesRead;
      // Moving, or held back by a handler that is not reading: not the client's stall.
      if (bytesRead !== watch.bytesRead || isHeldBack(req)) {
        watch.bytesRead = bytesRead;
        watch.stalledSince = now;
        continue;
      }
      if (now - watch.stalledSince >= this.#timeoutMs) {
        this.#watched.delete(req);
        this.#onStall(req);
      }
    }
    if (this.#watched.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Requests being watched (for specs). */
  get size(): number {
    return this.#watched.size;
  }
}

function sweep(watch: BodyWatch): void {
  watch.sweep();
}

/** True when the request stream is paused or full: the socket waits for the handler, not the client. */
function isHeldBack(req: IncomingMessage): boolean {
  return req.isPaused() || req.readableLength >= req.readableHighWaterMark;
}
