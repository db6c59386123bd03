/**
 * What the handler hands back, checked (is it a Response?) and described in error messages.
 */

/** A Response from another implementation (the `undici` package, a polyfill): same shape. */
export function isResponseLike(value: unknown): value is Response {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as { status?: unknown; headers?: { get?: unknown; [Symbol.iterator]?: unknown } | null };
  return typeof candidate.status === 'number'
    && typeof candidate.headers?.get === 'function'
    && typeof candidate.headers[Symbol.iterator] === 'function'
    && 'body' in candidate;
}

/** A value as an error message names it: `null`, `a string`, `an object (Map)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `an object (${name})` : 'an object';
  }
  return `a ${typeof value}`;
}
