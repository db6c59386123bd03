/**
 * FC's two platform generations as one switch, `profile: 'fc2' | 'fc3'`: the limits and header
 * rules each applies. FC 2.0's, as the seed pages describe them, are the default.
 *
 * FC 3.0's lists are from "Custom Container code development" (FC 3.0,
 * https://help.aliyun.com/zh/functioncompute/user-guide/code-development-in-custom-container-runtimes):
 * requests may not carry `x-fc-*` (FC's own aside), `connection` or `keep-alive`; responses may
 * not set `x-fc-*` but `x-fc-status`, `connection`, `content-length`, `date`, `keep-alive` or
 * `server`. In every profile the runtime owns the framing (`content-length`, `transfer-encoding`).
 */
import { classifyResponseHeader, FORBIDDEN_RESPONSE_HEADERS, isForbiddenResponseHeader, type ResponseHeaderClass } from './headers.js';
import { HIDDEN_REQUEST_HEADERS } from './request-headers.js';
import { DEFAULT_LIMITS, FC3_LIMITS, type Limits } from './limits.js';

/** A platform generation's name. */
export type Profile = 'fc2' | 'fc3';

/** The environment variable that picks a profile without code (`FC_CONTAINER_PROFILE=fc3`). */
export const PROFILE_ENV = 'FC_CONTAINER_PROFILE';

/** What a profile decides. */
export interface ProfileRules {
  readonly name: Profile;
  /** The limits before any `limits` option overrides them. */
  readonly limits: Readonly<Limits>;
  /** Request headers an HTTP function never sees (lower case; `x-fc-*` are read by the runtime, never forwarded as the app's). */
  readonly hiddenRequestHeaders: ReadonlySet<string>;
  /** Response headers a function cannot set, besides every `x-fc-*` but `x-fc-status` (lower case). */
  readonly forbiddenResponseHeaders: ReadonlySet<string>;
}

/** FC 2.0 (the seed pages): today's lists. */
export const FC2_PROFILE: ProfileRules = Object.freeze({
  name: 'fc2',
  limits: DEFAULT_LIMITS,
  hiddenRequestHeaders: HIDDEN_REQUEST_HEADERS,
  forbiddenResponseHeaders: FORBIDDEN_RESPONSE_HEADERS,
});

/** FC 3.0: shorter lists (an app may set `content-encoding`, and sees `accept-encoding`); the framing stays the runtime's. */
export const FC3_PROFILE: ProfileRules = Object.freeze({
  name: 'fc3',
  limits: FC3_LIMITS,
  hiddenRequestHeaders: new Set(['connection', 'keep-alive']),
  forbiddenResponseHeaders: new Set(['connection', 'content-length', 'date', 'keep-alive', 'server', 'transfer-encoding']),
});

const PROFILES: Record<Profile, ProfileRules> = { fc2: FC2_PROFILE, fc3: FC3_PROFILE };

/**
 * The profile `option` names, else `FC_CONTAINER_PROFILE`, else FC 2.0. Throws a `TypeError`
 * naming where an unknown name came from, at start-up.
 */
export function resolveProfile(option?: string, env: NodeJS.ProcessEnv = process.env): ProfileRules {
  const name = option ?? (env[PROFILE_ENV] || undefined);
  if (name === undefined) return FC2_PROFILE;
  const found = Object.hasOwn(PROFILES, name) ? PROFILES[name as Profile] : undefined;
  if (!found) {
    const where = option === undefined ? PROFILE_ENV : 'profile';
    throw new TypeError(`Unknown ${where} "${name}": use "fc2" or "fc3"`);
  }
  return found;
}

/** True for a lower-case response header name a function may not set under `rules`. */
export function isForbiddenResponseHeaderIn(rules: ProfileRules, name: string): boolean {
  return isForbiddenResponseHeader(name, rules.forbiddenResponseHeaders);
}

/** Classifies a lower-case response header name under `rules` (see `ResponseHeaderClass` in headers.ts). */
export function classifyResponseHeaderIn(rules: ProfileRules, name: string): ResponseHeaderClass {
  return classifyResponseHeader(name, rules.forbiddenResponseHeaders);
}
