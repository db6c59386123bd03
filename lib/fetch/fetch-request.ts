/**
 * The `Request` class the adapter hands the handler when Node's signal slot was found.
 */
import { kRequestSignal } from './node-slots.js';

const kController = Symbol('fc-container.fetch.controller');
const kInnerSignal = Symbol('fc-container.fetch.innerSignal');

/**
 * The Request handed to the handler: Node's own `Request` (the class is named so), whose signal
 * slot reads its {@link Exchange}'s controller. Used only when the slot was found.
 */
export const FetchRequest = class Request extends globalThis.Request {
  // Declared only: a field definition would run after super() and cost two defines per request.
  declare [kController]: AbortController;
  declare [kInnerSignal]: AbortSignal | undefined;

  constructor(url: string, init: RequestInit, controller: AbortController) {
    super(url, init);
    this[kController] = controller;
  }

  /** A clone shares the signal: undici's clone follows only a signal given as `init.signal`. */
  override clone(): globalThis.Request {
    const copy = super.clone();
    (copy as unknown as Record<symbol, AbortSignal>)[kRequestSignal!] = this[kController].signal;
    return copy;
  }
};
if (kRequestSignal !== undefined) {
  Object.defineProperty(FetchRequest.prototype, kRequestSignal, {
    configurable: true,
    get(this: InstanceType<typeof FetchRequest>): AbortSignal {
      // Read during construction (before the controller is set) only if undici starts doing so.
      return this[kController]?.signal ?? this[kInnerSignal];
    },
    set(this: InstanceType<typeof FetchRequest>, signal: AbortSignal) {
      // The constructor stores a signal of its own there; ours is answered instead.
      this[kInnerSignal] = signal;
    },
  });
}
