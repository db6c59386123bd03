/**
 * The response body, read chunk by chunk from the handler's stream: chunks that come within one
 * event-loop turn go out as one `end()` with a `content-length`; a body still pending at the next
 * turn is streamed chunked, with `'drain'` waits.
 */
import { ignore, kExchange, type Exchange, type ExchangeResponse } from './exchange.js';
import { describeValue } from './values.js';
import { clearImmediate, setImmediate } from './timers.js';

/**
 * Bytes of response body chunks that are gathered into one `end()` (with a `content-length`)
 * while they keep arriving within the same event-loop turn. A single chunk of any size is sent
 * this way; past this many bytes over several chunks, the body is streamed.
 */
const COALESCE_BYTES = 64 * 1024;

/**
 * Writes the body. Chunks arriving within the current event-loop turn are gathered; if the body
 * ends before the turn is over it goes out in one `end()`, framed with a `content-length`.
 * Otherwise the `setImmediate` fires {@link startStreaming}: headers (and what was gathered) go
 * out at once and every later chunk is written as it comes, waiting for `'drain'` when the
 * socket is full. A body that errors rejects: before the headers the runtime answers 500; after,
 * the response is destroyed so the client sees it broken, not complete.
 */
export async function sendBody(exchange: Exchange, body: ReadableStream<Uint8Array>): Promise<void> {
  const { res } = exchange;
  exchange.watchClose();
  const reader = body.getReader();
  exchange.reader = reader;
  exchange.immediate = setImmediate(startStreaming, exchange);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (exchange.failure !== undefined) throw exchange.failure;
      if (done || exchange.closed || exchange.replaced) break;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`A Response body chunk must be a Uint8Array, got ${describeValue(value)}`);
      }
      if (value.byteLength === 0) continue;
      if (exchange.streaming) {
        if (!res.write(value)) await waitForDrain(exchange);
        continue;
      }
      (exchange.pending ??= []).push(value);
      exchange.pendingBytes += value.byteLength;
      if (exchange.pendingBytes > COALESCE_BYTES && exchange.pending.length > 1) {
        // A body that keeps coming without yielding to the event loop: stream it from here.
        startStreaming(exchange);
        if (exchange.failure !== undefined) throw exchange.failure;
        if (res.writableNeedDrain) await waitForDrain(exchange);
      }
    }
  } catch (error) {
    clearImmediate(exchange.immediate);
    reader.cancel(error).catch(ignore);
    // The client left: its leaving cancelled the body (a proxied one errors with the abort), and
    // no response is owed; that is not the function's error.
    if (exchange.closed && !res.writableFinished) return;
    if (res.headersSent && !res.writableEnded) res.destroy();
    throw error;
  }
  clearImmediate(exchange.immediate);
  if (exchange.closed || res.destroyed) return; // the client went away; the runtime saw the close
  if (exchange.streaming) {
    res.end();
    return;
  }
  const { pending } = exchange;
  if (pending === undefined) res.end();
  else res.end(pending.length === 1 ? pending[0] : Buffer.concat(pending, exchange.pendingBytes));
}

/**
 * Writes the headers (through the runtime's override) and what was gathered, and switches the
 * body loop to streaming. Runs from `setImmediate` or from the loop; never throws (a throw in an
 * immediate would end the process): a failure is kept for the loop to rethrow.
 */
function startStreaming(exchange: Exchange): void {
  if (exchange.streaming) return;
  exchange.streaming = true;
  clearImmediate(exchange.immediate);
  const { res } = exchange;
  if (exchange.closed || res.destroyed) return;
  try {
    const status = res.statusCode;
    res.writeHead(status);
    if (res.statusCode !== status) {
      // The runtime swapped in its own answer (headers over the limit) and wrote its body.
      exchange.replaced = true;
      exchange.reader?.cancel().catch(ignore);
      return;
    }
    const { pending } = exchange;
    exchange.pending = undefined;
    exchange.pendingBytes = 0;
    if (pending === undefined) {
      res.flushHeaders();
    } else if (pending.length === 1) {
      res.write(pending[0]);
    } else {
      res.cork();
      for (const chunk of pending) res.write(chunk);
      res.uncork();
    }
  } catch (error) {
    exchange.failure = error;
    exchange.reader?.cancel(error).catch(ignore);
  }
}

function waitForDrain(exchange: Exchange): Promise<void> {
  if (exchange.closed || exchange.res.destroyed) return Promise.resolve();
  if (!exchange.listensForDrain) {
    exchange.listensForDrain = true;
    exchange.res.on('drain', onResponseDrain);
  }
  return new Promise<void>((resolve) => {
    exchange.drained = resolve;
  });
}

function onResponseDrain(this: ExchangeResponse): void {
  const exchange = this[kExchange]!;
  const drained = exchange.drained;
  if (drained === undefined) return;
  exchange.drained = undefined;
  drained();
}
