/**
 * The ids the gateway makes, as FC makes them: an FC request id for every request it sends (the
 * caller's, the Initializer's, PreStop's), and an instance id (FC_INSTANCE_ID) for every instance.
 */
import { randomBytes } from 'node:crypto';

/** FC 3.0-style request ids: `1-<8 hex seconds>-<24 hex>`, fresh for every request. */
export function newRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

let instanceCounter = 0;

/** FC-like instance ids: `c-<8 hex seconds>-<counter and random>`. */
export function newInstanceId(): string {
  instanceCounter++;
  const seconds = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  const random = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0');
  return `c-${seconds}-${random}${instanceCounter.toString(16).padStart(6, '0')}`;
}
