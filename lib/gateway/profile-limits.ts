/**
 * The gateway's limits under a profile: the profile's own, unless `limits` (a preset, byte
 * overrides, or `FC_CONTAINER_LIMITS`) says otherwise, so `{ profile: 'fc2', limits: 'fc3' }` is
 * FC 2.0's rules with FC 3.0's sizes. And the words the start-up line uses for what applies.
 */
import { DEFAULT_LIMITS, FC3_LIMITS, resolveLimits, resolveLimitsPreset, type Limits, type LimitsOption } from '../rules/limits.js';
import type { ProfileRules } from '../rules/profile.js';

const LIMIT_KEYS = ['requestHeaders', 'path', 'body', 'responseHeaders'] as const;

/**
 * The limits under `rules`: a preset (named by `option` or `FC_CONTAINER_LIMITS`) replaces the
 * profile's; byte overrides apply over whichever base that leaves. Checked as `resolveLimits`
 * checks them (a `TypeError` naming the bad key or preset).
 */
export function resolveProfileLimits(rules: ProfileRules, option: LimitsOption | undefined, env: NodeJS.ProcessEnv): Limits {
  const checked = resolveLimits(option, env);
  if (resolveLimitsPreset(option, env) !== undefined) return checked;
  const limits: Limits = { ...rules.limits };
  if (typeof option === 'object' && option !== null) {
    for (const key of LIMIT_KEYS) if (option[key] !== undefined) limits[key] = checked[key];
  }
  return limits;
}

function sameLimits(a: Readonly<Limits>, b: Readonly<Limits>): boolean {
  return LIMIT_KEYS.every((key) => a[key] === b[key]);
}

/** `profile fc3: FC 3.0 rules`, and the limits when they are not the profile's own (`with FC 3.0 limits`). */
export function describeProfile(rules: ProfileRules, limits: Readonly<Limits>): string {
  const generation = rules.name === 'fc3' ? 'FC 3.0' : 'FC 2.0';
  let sizes = '';
  if (!sameLimits(limits, rules.limits)) {
    if (sameLimits(limits, FC3_LIMITS)) sizes = ' with FC 3.0 limits';
    else if (sameLimits(limits, DEFAULT_LIMITS)) sizes = ' with FC 2.0 limits';
    else sizes = ' with its limits overridden';
  }
  return `profile ${rules.name}: ${generation} rules${sizes}`;
}
