/**
 * FC's request and response limits, in bytes. The gateway in front of a function enforces them in
 * production; the runtime enforces the same numbers inside the container so a function behaves the
 * same on a laptop, in a test and on FC, and so an oversize request is refused before it costs
 * memory.
 */

/** The limits the runtime enforces, all in bytes. */
export interface Limits {
  /** Request headers: name + value bytes summed over every header but the platform's `x-fc-*` and {@link UNCOUNTED_REQUEST_HEADERS}. */
  requestHeaders: number;
  /** The request target: path, `?` and query string. */
  path: number;
  /** The request body. */
  body: number;
  /** Response headers, after the forbidden ones are stripped: name + value bytes summed. */
  responseHeaders: number;
}

/**
 * Request headers the header limit does not count, besides FC's own `x-fc-*`: the hop-by-hop
 * `connection` and `keep-alive`, which FC lists as reserved request headers a function never gets.
 * They describe one connection, not the request (RFC 9110 §7.6.1), and each hop sets its own: a
 * gateway in front (FC's, or `fc-container emulate`, whose keep-alive agent adds
 * `Connection: keep-alive` to every request it forwards) sends the runtime other ones than its
 * client sent. Counted, they made the runtime refuse a request the gateway had accepted (one of
 * 4,077 to 4,096 bytes); left out on both sides, the gateway and the runtime count the same bytes:
 * the client's end-to-end headers, which the gateway forwards or drops but never adds to.
 */
export const UNCOUNTED_REQUEST_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive']);

/** A named set of limits: `'fc3'` gives FC 3.0's documented values. */
export type LimitsPreset = 'fc3';

/** What `options.limits` accepts: a preset, or a preset and overrides (keys not given keep the preset's value). */
export type LimitsOption = LimitsPreset | ({ preset?: LimitsPreset } & Partial<Limits>);

const KIB = 1024;
const MIB = 1024 * KIB;

/** The limits of the seed documents (FC 2.0): 4 KB headers and path, 6 MB body, 4 KB response headers. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  requestHeaders: 4 * KIB,
  path: 4 * KIB,
  body: 6 * MIB,
  responseHeaders: 4 * KIB,
});

/** FC 3.0's limits: 8 KB headers, 4 KB path, 32 MB synchronous body, 8 KB response headers. */
export const FC3_LIMITS: Readonly<Limits> = Object.freeze({
  requestHeaders: 8 * KIB,
  path: 4 * KIB,
  body: 32 * MIB,
  responseHeaders: 8 * KIB,
});

const PRESETS: Record<LimitsPreset, Readonly<Limits>> = { fc3: FC3_LIMITS };

/** The environment variable that picks a preset without code (`FC_CONTAINER_LIMITS=fc3`). */
export const LIMITS_ENV = 'FC_CONTAINER_LIMITS';

/**
 * The preset `option` names, else `FC_CONTAINER_LIMITS` (empty or unset: none). Unchecked: an
 * unknown name comes back as it is, for {@link resolveLimits} to refuse.
 */
export function resolveLimitsPreset(option?: LimitsOption, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return typeof option === 'string' ? option : option?.preset ?? (env[LIMITS_ENV] || undefined);
}

/**
 * Resolves `options.limits` into numbers. Without `option` the preset comes from
 * `FC_CONTAINER_LIMITS` (empty or unset: the seed defaults). An object's `preset` wins over the
 * environment; its other keys override single values. Throws a `TypeError` naming the key for an
 * unknown preset or a value that is not a non-negative whole number, at start-up rather than on
 * the first request. `profileLimits` (a profile's, profile.ts) stand in for the seed defaults:
 * a preset, from the option or the environment, overrides them.
 */
export function resolveLimits(option?: LimitsOption, env: NodeJS.ProcessEnv = process.env, profileLimits: Readonly<Limits> = DEFAULT_LIMITS): Limits {
  const envPreset = env[LIMITS_ENV] || undefined;
  const preset = resolveLimitsPreset(option, env);
  let base: Readonly<Limits> = profileLimits;
  if (preset !== undefined) {
    const found = PRESETS[preset as LimitsPreset];
    if (!found) {
      const where = preset === envPreset && (typeof option !== 'object' || !option?.preset) ? LIMITS_ENV : 'limits.preset';
      throw new TypeError(`Unknown ${where} "${preset}": use "fc3" or leave it unset for the FC 2.0 defaults`);
    }
    base = found;
  }
  const limits: Limits = { ...base };
  if (typeof option === 'object' && option !== null) {
    for (const key of ['requestHeaders', 'path', 'body', 'responseHeaders'] as const) {
      const value = option[key];
      if (value === undefined) continue;
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new TypeError(`limits.${key} must be a whole number of bytes >= 0, got ${String(value)}`);
      }
      limits[key] = value;
    }
  }
  return limits;
}

/**
 * Node's own cap on a request's header block (request line included), set high enough above our
 * limits that the runtime, not the parser, decides: FC's `x-fc-*` headers (a security token runs
 * to a few KB) do not count against the header limit, so the block legitimately exceeds it.
 */
export function getMaxHeaderSize(limits: Limits): number {
  return Math.max(16 * KIB, limits.requestHeaders + limits.path + 8 * KIB);
}
