/**
 * The ids the gateway makes, as FC makes them: an FC request id for every request it sends (the
 * caller's, the Initializer's, PreStop's), in the shape of the profile's platform, and an instance
 * id (FC_INSTANCE_ID) for every instance.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Profile } from '../rules/profile.js';

/** Eight hex digits of the seconds since the epoch, as FC 3.0's ids begin. */
function hexSeconds(): string {
  return Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
}

/**
 * A fresh request id in the shape `profile`'s platform gives its requests (default FC 2.0's):
 *
 * - FC 2.0: a UUID (version 4), as the FC 2.0 Node.js logging page prints one,
 *   `2023-04-01T10:04:19.024Z 19b394a3-4fff-480c-9b5c-cbdfd6952f4e [info] hello,fc`
 *   (https://help.aliyun.com/zh/functioncompute/fc-2-0/user-guide/log-management-4);
 * - FC 3.0: `1-<8 hex>-<8 hex>-<12 hex>`, the first group the hex seconds, as the FC 3.0 Node.js
 *   logging page prints `2024-03-04 07:01:16.927 1-65e571bc-158a59e8-b63f98cd471c [info] hello,world`
 *   (https://alibabacloud.com/help/ja/functioncompute/fc-3-0/user-guide/logging; in English
 *   https://www.alibabacloud.com/help/doc-detail/2512968.html); 0x65e571bc is that line's own
 *   second, 2024-03-04 07:01:16 UTC. FC 3.0's "Print function logs" page
 *   (https://help.aliyun.com/en/functioncompute/fc/print-function-logs) shows
 *   `1-65362416-68afb557d64a2e283eccebce` (24 hex after the seconds) in a recommended format
 *   instead; the runtime's page, which prints the id FC sent, wins here.
 */
export function newRequestId(profile: Profile = 'fc2'): string {
  if (profile === 'fc2') return randomUUID();
  return `1-${hexSeconds()}-${randomBytes(4).toString('hex')}-${randomBytes(6).toString('hex')}`;
}

let instanceCounter = 0;

/** FC-like instance ids: `c-<8 hex seconds>-<counter and random>`. */
export function newInstanceId(): string {
  instanceCounter++;
  const random = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0');
  return `c-${hexSeconds()}-${random}${instanceCounter.toString(16).padStart(6, '0')}`;
}
