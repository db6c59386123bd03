/**
 * How a handler's return value becomes a response body, for `/invoke` and `/initialize` alike.
 */

/** A serialised body and its content type (`undefined` for an empty body). */
export interface Payload {
  body: string | Uint8Array;
  contentType: string | undefined;
}

/** The payload of an empty body. */
export const EMPTY_PAYLOAD: Payload = Object.freeze({ body: '', contentType: undefined }) as Payload;

/**
 * Turns a handler's result into bytes:
 * - `Buffer`, any `Uint8Array` or `ArrayBuffer`: the bytes as they are, `application/octet-stream`;
 * - `string`: UTF-8, `text/plain; charset=utf-8`;
 * - `undefined` or `null`: an empty body;
 * - anything else: JSON, `application/json`.
 *
 * Throws a `TypeError` for what JSON cannot carry (a circular object, a `BigInt`, a function or a
 * symbol), so the caller reports it as the function's failure rather than sending a wrong body.
 */
export function serializeResult(value: unknown): Payload {
  if (value === undefined || value === null) return EMPTY_PAYLOAD;
  if (typeof value === 'string') return { body: value, contentType: 'text/plain; charset=utf-8' };
  if (value instanceof Uint8Array) return { body: value, contentType: 'application/octet-stream' };
  if (value instanceof ArrayBuffer) return { body: new Uint8Array(value), contentType: 'application/octet-stream' };
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`A result of type ${typeof value} cannot be serialised to JSON`);
  return { body: json, contentType: 'application/json' };
}
