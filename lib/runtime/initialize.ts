/**
 * The Initializer gate: `initialize` succeeds at most once per process, like a constructor.
 *
 * FC sends `POST /initialize` once per instance when the function has an Initializer configured,
 * and keeps re-sending it after a 400/404 until one succeeds. Concurrent calls share the run in
 * flight; after a success every later call answers with the same body without running it again;
 * after a failure the next call starts a new run.
 */
import type { Context } from './context.js';
import { serializeResult, type Payload } from '../rules/result.js';

/** `initialize(context)`: runs once per container before the first invocation. */
export type InitializeHandler = (context: Context) => unknown;

/** The once-only gate around an `initialize` handler. */
export class InitializeGate {
  readonly #handler: InitializeHandler;
  #running: Promise<Payload> | undefined;
  #payload: Payload | undefined;

  constructor(handler: InitializeHandler) {
    this.#handler = handler;
  }

  /** The body of the successful run, once there was one. Callers check it to skip the promise on the hot path. */
  get payload(): Payload | undefined {
    return this.#payload;
  }

  /**
   * Runs the handler unless it has succeeded (then resolves to the same body at once) or is
   * running (then shares that run's outcome). A failure rejects every caller that waited on that
   * run, and the next call starts afresh. A result that cannot be serialised is a failure too.
   */
  run(context: Context): Promise<Payload> {
    if (this.#payload) return Promise.resolve(this.#payload);
    if (this.#running) return this.#running;
    const running = this.#start(context);
    this.#running = running;
    return running;
  }

  async #start(context: Context): Promise<Payload> {
    // Yield once: a handler that throws synchronously would otherwise settle this run (and run
    // the `finally` below) before run() has recorded it, leaving the failed run in place forever.
    await undefined;
    try {
      const payload = serializeResult(await this.#handler(context));
      this.#payload = payload;
      return payload;
    } finally {
      this.#running = undefined;
    }
  }
}
