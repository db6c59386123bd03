/**
 * Node's own `Request`, `Response` and `fetch`, reached only when something needs them.
 *
 * Node 20 quirk the design follows: `globalThis.Request`/`Response`/`Headers` are lazy accessors
 * (lib/internal/util.js `defineLazyProperties`); the first read loads undici (about 8 MiB of
 * idle memory) and its getter then redefines the global as a data property holding Node's
 * class. So the original property descriptors are kept ({@link keepNatives}) and never read
 * through at load, and a getter called later has whatever it redefined put back. `fetch` is a
 * plain function that loads undici on its first call.
 */

export type NativeName = 'Request' | 'Response' | 'fetch';

/** The globals as they were before the adapter installed its own: descriptors, never read through. */
let natives: Partial<Record<NativeName, PropertyDescriptor>> | undefined;
let nodeRequest: typeof Request | undefined;
let nodeResponse: typeof Response | undefined;

/** Keeps the descriptors of Node's globals, before globals.ts replaces them (once per process). */
export function keepNatives(): Partial<Record<NativeName, PropertyDescriptor>> {
  if (natives !== undefined) return natives;
  natives = {};
  for (const name of ['Request', 'Response', 'fetch'] as const) natives[name] = Object.getOwnPropertyDescriptor(globalThis, name);
  return natives;
}

/** The value behind a global's original descriptor, with the global left as it is now. */
function readNative(name: NativeName): unknown {
  const descriptor = natives === undefined ? Object.getOwnPropertyDescriptor(globalThis, name) : natives[name];
  if (descriptor === undefined) throw new TypeError(`globalThis.${name} is not available in this Node.js`);
  if (descriptor.get === undefined) return descriptor.value;
  const current = Object.getOwnPropertyDescriptor(globalThis, name)!;
  const value = descriptor.get.call(globalThis);
  // Node's lazy getter has just redefined the global as its own class: put back what was there.
  Object.defineProperty(globalThis, name, current);
  return value;
}

/** Node's own `Request` class (loads undici on first call). */
export function getNodeRequestClass(): typeof Request {
  return (nodeRequest ??= readNative('Request') as typeof Request);
}

/** Node's own `Response` class (loads undici on first call). */
export function getNodeResponseClass(): typeof Response {
  return (nodeResponse ??= readNative('Response') as typeof Response);
}
