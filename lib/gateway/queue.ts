/**
 * FC's instance concurrency: at most N requests inside the container at once; the others wait
 * their turn in arrival order.
 */

/** Rejects a wait that was cancelled (the client went away) or refused (the gateway is closing). */
export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: Error) => void;
}

/** A first-in, first-out semaphore of `size` slots. */
export class Slots {
  readonly size: number;
  #busy = 0;
  readonly #waiters: Waiter[] = [];
  #closed = false;

  constructor(size: number) {
    this.size = size;
  }

  /** Requests inside (holding a slot). */
  get busy(): number {
    return this.#busy;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves to a `release` function once a slot is free: at once when one is, else after every
   * earlier caller got one. `signal` (the client went away) takes the caller out of the line.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#closed) return Promise.reject(new QueueClosedError('The gateway is shutting down'));
    if (this.#busy < this.size && this.#waiters.length === 0) {
      this.#busy++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) {
          this.#waiters.splice(index, 1);
          reject(new QueueClosedError('The client went away while waiting'));
        }
      }, { once: true });
    });
  }

  /** Refuses every waiting caller and every later one. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new QueueClosedError('The gateway is shutting down'));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.resolve(this.#releaser());
      else this.#busy--;
    };
  }
}
