/**
 * Ids for requests that arrive without `x-fc-request-id` (a local client, a health probe, the
 * `preStop` run at shutdown). FC always sends one, so this is off the hot path in production; it
 * still avoids `node:crypto`, whose import alone costs milliseconds of cold start.
 */

/** A random per-process prefix in UUID shape; Math.random is enough to tell instances apart in logs. */
function randomHex(digits: number): string {
  let hex = '';
  while (hex.length < digits) hex += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return hex.slice(0, digits);
}

const PREFIX = `${randomHex(8)}-${randomHex(4)}-4${randomHex(3)}-${randomHex(4)}-`;
let counter = 0;
/** `ZEROS[n]`: the zeros that pad an `n`-digit counter to 12 digits (padStart builds its filler on each call). */
const ZEROS = Array.from({ length: 12 }, (_, n) => '0'.repeat(12 - n));

/**
 * A local request id, for a request without `x-fc-request-id`: UUID-shaped, unique within the
 * process (a random prefix and a counter), e.g. `3f9a6c01-7b2e-4d10-a9c4-000000000001`.
 */
export function createLocalRequestId(): string {
  counter++;
  const hex = counter.toString(16);
  return PREFIX + (hex.length < 12 ? ZEROS[hex.length]! + hex : hex);
}
