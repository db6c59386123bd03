/**
 * The gateway's asynchronous events: each accepted event runs after its delay, is retried after a
 * failed attempt (FC's `maxAsyncRetryAttempts`, with a doubling backoff), and is recorded with
 * every attempt and its outcome, so a test can wait until the queue is empty and read what ran
 * (the last {@link ASYNC_HISTORY_LIMIT} finished ones).
 *
 * FC retries an asynchronous invocation that failed with a function error
 * (HandledInvocationError, UnhandledInvocationError) "up to 3 times by default" and does not
 * retry internal errors (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2).
 */

/**
 * Finished events (succeeded, failed, dropped) kept in `records`, the newest; older ones are
 * forgotten, so a long `emulate` session's memory stays bounded. Events not finished are always
 * kept.
 */
export const ASYNC_HISTORY_LIMIT = 1000;

const FINISHED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'dropped']);

/** What became of one attempt. */
export interface AsyncAttempt {
  /** `x-fc-retry-count` it was sent with: 0 first. */
  retryCount: number;
  /** The status the attempt's answer had (0 when the gateway stopped first). */
  status: number;
  /** `x-fc-error-type` of a failed attempt (or the platform error code). */
  error: string | undefined;
  durationMs: number;
}

export type AsyncState = 'delayed' | 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'dropped';

/** One asynchronous event, as tests read it (`gateway.asyncEvents`). */
export interface AsyncEventRecord {
  requestId: string;
  /** The stateful asynchronous invocation id the caller gave, if any. */
  taskId: string | undefined;
  delaySeconds: number;
  state: AsyncState;
  attempts: AsyncAttempt[];
}

/** Runs one attempt of an event with what it was accepted with; resolves to its outcome (`retry`: whether a failure may be retried). */
export type RunAttempt<T> = (record: AsyncEventRecord, payload: T, retryCount: number) => Promise<AsyncAttempt & { retry: boolean }>;

/** The events, their timers, and the waiters for an empty queue; `T` is what an attempt needs (the call). */
export class AsyncEvents<T> {
  readonly records: AsyncEventRecord[] = [];
  readonly #run: RunAttempt<T>;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #timers = new Map<AsyncEventRecord, { timer: NodeJS.Timeout; resolve: (go: boolean) => void }>();
  readonly #idle: (() => void)[] = [];
  readonly #historyLimit: number;
  #pending = 0;
  #finished = 0;
  /** Dropped events whose records were forgotten, still counted by {@link dropped}. */
  #forgottenDropped = 0;
  #closed = false;

  constructor(run: RunAttempt<T>, retries: number, backoffMs: number, historyLimit = ASYNC_HISTORY_LIMIT) {
    this.#run = run;
    this.#retries = retries;
    this.#backoffMs = backoffMs;
    this.#historyLimit = historyLimit;
  }

  /** Attempts an event may have: the first and its retries. */
  get maxAttempts(): number {
    return this.#retries + 1;
  }

  /** Takes an event in; it runs after `delaySeconds`, then in arrival order within the concurrency. */
  accept(requestId: string, taskId: string | undefined, delaySeconds: number, payload: T): AsyncEventRecord {
    const record: AsyncEventRecord = { requestId, taskId, delaySeconds, state: delaySeconds > 0 ? 'delayed' : 'queued', attempts: [] };
    this.records.push(record);
    this.#pending++;
    void this.#drive(record, payload);
    return record;
  }

  /** Resolves once no event is delayed, queued, running or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops: every event not running now is dropped (delayed, waiting for a retry, or queued for a
   * slot, which the slots refuse as they close); a running attempt finishes, and is not retried.
   */
  close(): void {
    this.#closed = true;
    for (const record of this.records) {
      if (record.state === 'delayed' || record.state === 'retrying' || record.state === 'queued') record.state = 'dropped';
    }
    for (const { timer, resolve } of this.#timers.values()) {
      clearTimeout(timer);
      resolve(false);
    }
    this.#timers.clear();
  }

  /** Events dropped by {@link close}. */
  get dropped(): number {
    let count = this.#forgottenDropped;
    for (const record of this.records) if (record.state === 'dropped') count++;
    return count;
  }

  async #drive(record: AsyncEventRecord, payload: T): Promise<void> {
    try {
      if (record.delaySeconds > 0 && !(await this.#wait(record, record.delaySeconds * 1000))) return;
      for (let retryCount = 0; ; retryCount++) {
        if (this.#closed || record.state === 'dropped') {
          record.state = 'dropped';
          return;
        }
        record.state = 'queued';
        const attempt = await this.#run(record, payload, retryCount);
        // Refused a slot while the gateway stopped (the attempt marked it so).
        if ((record.state as AsyncState) === 'dropped') return;
        record.attempts.push({ retryCount, status: attempt.status, error: attempt.error, durationMs: attempt.durationMs });
        if (attempt.error === undefined) {
          record.state = 'succeeded';
          return;
        }
        if (!attempt.retry || retryCount >= this.#retries) {
          record.state = 'failed';
          return;
        }
        record.state = 'retrying';
        if (!(await this.#wait(record, this.#backoffMs * 2 ** retryCount))) {
          record.state = 'dropped';
          return;
        }
      }
    } finally {
      this.#forgetOldest();
      if (--this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** One more event finished: past the limit, the oldest finished record goes. */
  #forgetOldest(): void {
    if (++this.#finished <= this.#historyLimit) return;
    // Records are in arrival order and mostly finish in it: the oldest finished one is near the front.
    const index = this.records.findIndex((record) => FINISHED.has(record.state));
    if (index >= 0) {
      if (this.records[index]!.state === 'dropped') this.#forgottenDropped++;
      this.records.splice(index, 1);
      this.#finished--;
    }
  }

  /** Waits `ms` for an event; false when the gateway stopped first. */
  #wait(record: AsyncEventRecord, ms: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(record);
        resolve(true);
      }, ms);
      this.#timers.set(record, { timer, resolve });
    });
  }
}
