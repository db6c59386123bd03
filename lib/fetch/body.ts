/**
 * The request body of the Fetch adapter (request.ts) as the source of a `ReadableStream`: it pulls
 * from the Node request with pause/resume, so a body is never buffered and an upload moves only
 * as fast as the handler reads it. The listeners are shared functions reading the state through
 * `this`, so no closure is made per request or chunk.
 */
import type { IncomingMessage } from 'node:http';
import { createAbortedError } from './read-body.js';

const kBody = Symbol('fc-container.fetch.body');

type BodyRequest = IncomingMessage & { [kBody]?: RequestBody };

/**
 * The source of a request body stream. `req` starts flowing at the first read; each chunk is
 * handed to the stream and `req` pauses until the next read, so the socket (and the client's
 * upload) waits while the handler does.
 */
export class RequestBody implements UnderlyingDefaultSource<Uint8Array> {
  readonly req: BodyRequest;
  controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  reading = false;
  /** Closed, errored or cancelled: `req` is no longer the stream's business. */
  done = false;
  /** The response has finished: what is left of the body is read and dropped. */
  discarding = false;
  /** Bytes were dropped while discarding: the body can no longer end cleanly. */
  dropped = false;

  constructor(req: IncomingMessage) {
    this.req = req as BodyRequest;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    const { req } = this;
    req[kBody] = this;
    if (req.destroyed && !req.readableEnded) {
      this.done = true;
      controller.error(createAbortedError());
      return;
    }
    req.on('end', onBodyEnd);
    req.on('error', onBodyError);
    req.on('close', onBodyClose);
  }

  pull(): void {
    if (this.done || this.discarding) return;
    if (this.reading) {
      this.req.resume();
      return;
    }
    this.reading = true;
    this.req.on('data', onBodyData);
  }

  /** The handler (or the response it fed) cancelled the stream: drop the rest of the body. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.req.removeListener('data', onBodyData);
    this.req.resume();
  }

  /**
   * The response has finished before the body was read to its end: read and drop the rest, so
   * the keep-alive connection can carry the next request. A read still waiting settles when the
   * body does: with the request's own error if it has one (the runtime's `LimitError`), else
   * with an error saying the body was dropped.
   */
  discard(): void {
    if (this.done || this.discarding) return;
    this.discarding = true;
    if (this.reading) {
      this.req.resume();
    } else {
      this.reading = true;
      this.req.on('data', onBodyData);
    }
  }

  /** The client went away: a read still waiting fails with `reason`. */
  abort(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.req.removeListener('data', onBodyData);
    this.req.resume();
    this.controller!.error(reason);
  }
}

function onBodyData(this: BodyRequest, chunk: Buffer): void {
  const body = this[kBody]!;
  if (body.done) return;
  if (body.discarding) {
    body.dropped = true;
    return;
  }
  const controller = body.controller!;
  controller.enqueue(chunk);
  if (controller.desiredSize! <= 0) this.pause();
}

function onBodyEnd(this: BodyRequest): void {
  const body = this[kBody]!;
  if (body.done) return;
  body.done = true;
  if (body.dropped) {
    body.controller!.error(new Error('The response was sent before the request body was read; the rest of the body was dropped'));
  } else {
    body.controller!.close();
  }
}

function onBodyError(this: BodyRequest, error: Error): void {
  const body = this[kBody]!;
  if (body.done) return;
  body.done = true;
  body.controller!.error(error);
}

function onBodyClose(this: BodyRequest): void {
  const body = this[kBody]!;
  if (body.done) return;
  body.done = true;
  body.controller!.error(createAbortedError());
}
