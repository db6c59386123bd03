/**
 * The adapter's globals: the light `Response` as `globalThis.Response`, and a `Request` and a
 * `fetch` that turn the adapter's light requests into Node's, so `fetch(request)` and
 * `new Request(request)` keep working with the request a handler got. Installed once per
 * process when a `fetch` handler is given (unless `fetchGlobals: false`); nothing of Node's is
 * loaded by installing them (natives.ts says why that takes care).
 */
import { getNodeRequest as unwrapLightRequest, isLightRequest } from './light-request.js';
import { LightResponse } from './light-response.js';
import { getNodeRequestClass, keepNatives, type NativeName } from './natives.js';

let installed = false;
let requestClass: typeof Request | undefined;

/**
 * Installs, once per process, the light `Response` as `globalThis.Response`, a `Request` that
 * turns the adapter's light requests into Node's (built when `globalThis.Request` is first read),
 * and a `fetch` that does the same for its input. Nothing of Node's is loaded by this.
 */
export function installFetchGlobals(): void {
  if (installed) return;
  installed = true;
  const natives = keepNatives();
  defineValue('Response', LightResponse, false);
  Object.defineProperty(globalThis, 'Request', {
    configurable: true,
    enumerable: false,
    get: getRequestClass,
    set(value: unknown) {
      defineValue('Request', value, false);
    },
  });
  const nativeFetch = natives.fetch?.value as typeof fetch | undefined;
  if (typeof nativeFetch === 'function') {
    defineValue('fetch', function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      return nativeFetch(isLightRequest(input) ? unwrapLightRequest(input) : input, init);
    }, true);
  }
}

function defineValue(name: NativeName, value: unknown, enumerable: boolean): void {
  Object.defineProperty(globalThis, name, { configurable: true, enumerable, writable: true, value });
}

/**
 * The global `Request`: Node's class behind a constructor that accepts the adapter's light
 * requests (`new Request(request, init)` in a proxy), whose `instanceof` is true for them too.
 * Subclasses (`class R extends Request`) construct Node's requests with their own prototype.
 */
function getRequestClass(): typeof Request {
  if (requestClass !== undefined) return requestClass;
  const NodeRequest = getNodeRequestClass();
  const Request: typeof globalThis.Request = function Request(this: unknown, input: RequestInfo | URL, init?: RequestInit): Request {
    if (new.target === undefined) throw new TypeError("Class constructor Request cannot be invoked without 'new'");
    return Reflect.construct(NodeRequest, [isLightRequest(input) ? unwrapLightRequest(input) : input, init], new.target) as Request;
  } as unknown as typeof Request;
  Object.defineProperty(Request, 'prototype', { value: NodeRequest.prototype, writable: false });
  Object.setPrototypeOf(Request, NodeRequest);
  Object.defineProperty(Request, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this !== Request) return Function.prototype[Symbol.hasInstance].call(this, value);
      return isLightRequest(value) || value instanceof NodeRequest;
    },
  });
  requestClass = Request;
  defineValue('Request', Request, false);
  return Request;
}
