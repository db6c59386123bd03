/**
 * The state of one request/response pair, kept on the response under {@link kExchange} so the
 * shared listeners find it through `this`, and what happens to it when the response closes.
 */
import type { ServerResponse } from 'node:http';
import type { RequestBody } from './body.js';

export const kExchange = Symbol('fc-container.fetch.exchange');

export type ExchangeResponse = ServerResponse & { [kExchange]?: Exchange };

/** The state of one request/response pair on the response side. */
export class Exchange {
  readonly res: ServerResponse;
  readonly controller = new AbortController();
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
    exchange.controller.abort(reason);
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
