/**
 * The credentials the secrets specs hand the runtime (shaped like real STS ones), and the check
 * that finds any of them, whole or in part, in what came out.
 */
import { createHash } from 'node:crypto';

/** Shaped like real STS credentials: base64 characters, a long token. */
export const SECRET = 'Dq8Jx3Vb5YkN2mR7tW0pLs4Hc6Zf1Aq9';
export const TOKEN = 'CAIS' + Buffer.from(Array.from({ length: 700 }, (_, i) => createHash('sha256').update(String(i)).digest()[0]!)).toString('base64');
export const ENV_SECRET = 'EnvSecret/xY7+kq2Zm4Lp9Rt3Vw6Qa';
export const ENV_TOKEN = 'EnvTokenCAIS/' + Buffer.from('a role token from the environment, long enough').toString('base64');
export const KEY_ID = 'STS.NUx5kq8Lm2';
/** A second request's keys, for a line that could show another request's. */
export const OTHER_SECRET = 'Other7Secret/Kq2Zm4Lp9Rt3Vw6QaB';
export const OTHER_TOKEN = 'CAISother' + Buffer.from('another request carries another token, long enough too').toString('base64');
export const ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID: KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET: ENV_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: ENV_TOKEN };

const NAMED: [string, string][] = [
  ['SECRET', SECRET], ['TOKEN', TOKEN], ['ENV_SECRET', ENV_SECRET], ['ENV_TOKEN', ENV_TOKEN],
  ['OTHER_SECRET', OTHER_SECRET], ['OTHER_TOKEN', OTHER_TOKEN],
];

/**
 * Where `text` shows a secret, whole or in part: any 12-character piece of one (so a secret cut,
 * wrapped or truncated by a printer is caught too).
 */
export function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, secret] of NAMED) {
    for (let at = 0; at + 12 <= secret.length; at += 4) {
      const piece = secret.slice(at, at + 12);
      const index = text.indexOf(piece);
      if (index !== -1) {
        found.push(`${name} (piece at ${at}) in: ${JSON.stringify(text.slice(Math.max(0, index - 80), index + 40))}`);
        break;
      }
    }
  }
  return found;
}
