/**
 * The state of one request/response pair, kept on the response under {@link kExchange} so the
 * shared listeners find it through `this`, and what happens to it when the response closes.
 */
import type { ServerResponse } from 'node:http';
import type { RequestBody } from './body.js';
import { clearImmediate } from './timers.js';

export const kExchange = Symbol('fc-container.fetch.exchange');

export type ExchangeResponse = ServerResponse & { [kExchange]?: Exchange };

/** The state of one request/response pair on the response side. */
export class Exchange {
  readonly res: ServerResponse;
  /** Made when `request.signal` is first read (an AbortController costs microseconds in Node 20). */
  controller: AbortController | undefined = undefined;
  /** Why the request was aborted (the client went away), kept for a signal read after. */
  abortReason: unknown = undefined;
  /** The request body's source, when the request has a body. */
  body: RequestBody | undefined = undefined;
  /** The reader of the handler's response body, once reading has begun. */
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined = undefined;
  /** Fires at the next event-loop turn to flush the headers of a body that is not complete yet. */
  immediate: NodeJS.Immediate | undefined = undefined;
  /** Headers have been written: chunks go straight to the socket. */
  streaming = false;
  /** The runtime answered instead (response headers over the limit): the body is dropped. */
  replaced = false;
  /** The response closed (finished, or the connection went away). */
  closed = false;
  /** {@link onResponseClose} listens to the response. */
  watching = false;
  listensForDrain = false;
  /** Resolves the pending wait for `'drain'`. */
  drained: (() => void) | undefined = undefined;
  /** A failure while flushing from the event loop, rethrown by the body loop. */
  failure: unknown = undefined;
  /** Body chunks gathered before the headers are written. */
  pending: Uint8Array[] | undefined = undefined;
  pendingBytes = 0;

  constructor(res: ServerResponse) {
    this.res = res;
  }

  /**
   * Follows the response's `'close'` from now on ({@link onResponseClose}); at once if it has
   * closed already. Only what needs the close asks for it (the signal, a body stream, a streamed
   * response): a response written in the handler's turn costs no listener.
   */
  watchClose(): void {
    if (this.watching) return;
    this.watching = true;
    const res = this.res as ExchangeResponse;
    res[kExchange] = this;
    res.on('close', onResponseClose);
    if (res.destroyed) onResponseClose.call(res);
  }

  /** The request's signal: one controller per request, aborted at once when the client left before. */
  getSignal(): AbortSignal {
    let controller = this.controller;
    if (controller === undefined) {
      controller = this.controller = new AbortController();
      this.watchClose();
      if (this.abortReason !== undefined) controller.abort(this.abortReason);
    }
    return controller.signal;
  }
}

/**
 * The response closed. Before it finished, that means the client went away: abort
 * `request.signal` and cancel the response body. Either way, a request body nobody read to its
 * end is drained, so a keep-alive connection can carry the next request.
 */
export function onResponseClose(this: ExchangeResponse): void {
  const exchange = this[kExchange]!;
  if (exchange.closed) return;
  exchange.closed = true;
  clearImmediate(exchange.immediate);
  if (!this.writableFinished) {
    const reason = new DOMException('The client went away', 'AbortError');
    exchange.abortReason = reason;
    exchange.controller?.abort(reason);
    exchange.reader?.cancel(reason).catch(ignore);
    exchange.body?.abort(reason);
  } else {
    exchange.body?.discard();
  }
  const drained = exchange.drained;
  if (drained !== undefined) {
    exchange.drained = undefined;
    drained();
  }
}

/** Swallows the rejection of a cancel nobody waits for. */
export function ignore(): void {}
