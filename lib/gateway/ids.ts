/** The ids the gateway makes: FC request ids. */
import { randomBytes } from 'node:crypto';

/** FC 3.0-style request ids: `1-<8 hex seconds>-<24 hex>`, fresh for every request. */
export function newRequestId(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}
