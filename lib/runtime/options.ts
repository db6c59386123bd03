/**
 * Server options and their defaults, checked once at start-up.
 */
import { resolveLimits, type Limits, type LimitsOption } from '../rules/limits.js';
import { checkPort } from '../rules/port.js';
import { resolveProfile, type Profile, type ProfileRules } from '../rules/profile.js';
import { readLogLevelEnv } from './log-format.js';
import { parseLogThreshold, type LogThreshold } from './logger.js';

/** Options of `createServer()` and `serve()`. Every key is optional. */
export interface Options {
  /** Port to listen on; default `FC_CUSTOM_LISTEN_PORT`, else `FC_SERVER_PORT`, else 9000. */
  port?: number;
  /** Address to listen on; default `0.0.0.0` (FC cannot reach a server on 127.0.0.1). */
  host?: string;
  /**
   * Which FC generation's rules apply: `'fc2'` (default) or `'fc3'` (FC 3.0's limits, its shorter
   * header lists, its log time format and `ALIYUN_FC_LOG_LEVEL`). Default: `FC_CONTAINER_PROFILE`, else `'fc2'`.
   */
  profile?: Profile;
  /**
   * FC's limits: `'fc3'`, or overrides in bytes, over the profile's. Default: the profile's values
   * (FC 2.0's unless `profile` says otherwise), or `FC_CONTAINER_LIMITS`.
   */
  limits?: LimitsOption;
  /** How long SIGTERM/SIGINT wait for in-flight requests (and then for `preStop`); default 10 000 ms. */
  shutdownTimeoutMs?: number;
  /** A client that has not finished sending its headers by then is cut off; default 30 000 ms. */
  headersTimeoutMs?: number;
  /**
   * A client that sends part of a body and then nothing for this long gets 408 and is cut off;
   * default 30 000 ms; 0 turns it off. Only a stalled body counts: a long upload that keeps moving,
   * a handler that has not read the body yet, and a long invocation are never cut.
   */
  bodyTimeoutMs?: number;
  /** A GET to this path answers 200 at once (FC's health check): no markers, no `initialize`. */
  healthPath?: string;
  /** Print FC's `FC Invoke Start/End RequestId:` markers; default true. */
  markers?: boolean;
  /**
   * Lowest level `context.logger` and the runtime print; default `'debug'` (everything), or under
   * the `fc3` profile `ALIYUN_FC_LOG_LEVEL` when set; `'silent'` for none.
   */
  logLevel?: LogThreshold;
  /**
   * On FC's default domain the path starts with `x-fc-base-path`
   * (`/2016-08-15/proxy/<service>/<function>/`). When true (default) an HTTP function sees the path
   * without it, so one set of routes serves the default domain and a custom domain alike.
   */
  stripBasePath?: boolean;
  /** Make `getContext()` work anywhere in a handler's call chain (AsyncLocalStorage); default false. */
  asyncContext?: boolean;
  /**
   * With a `fetch` handler: install the light `Response` as `globalThis.Response`, and a
   * `Request` and a `fetch` that accept the light requests the handler gets; default true. When
   * false the globals stay Node's, the handler gets Node's own `Request` (slower), and any
   * Response it returns is read as a stream.
   */
  fetchGlobals?: boolean;
  /**
   * Make `console.log`/`info`/`debug`/`warn`/`error` print FC's format with the request id while a
   * handler runs, as FC's built-in Node.js runtime does; default false. Implies `asyncContext`.
   */
  formatConsole?: boolean;
  /** Install SIGTERM/SIGINT handling in `serve()`; default true. */
  handleSignals?: boolean;
}

/** {@link Options} with every default filled in. */
export interface ResolvedOptions {
  port: number;
  host: string;
  /** The profile's rules, resolved once for the server. */
  profile: ProfileRules;
  limits: Limits;
  shutdownTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  healthPath: string;
  markers: boolean;
  logLevel: LogThreshold;
  stripBasePath: boolean;
  asyncContext: boolean;
  fetchGlobals: boolean;
  formatConsole: boolean;
  handleSignals: boolean;
}

export const DEFAULT_PORT = 9000;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/**
 * The port FC asks for: `FC_CUSTOM_LISTEN_PORT`, else the older `FC_SERVER_PORT`, else 9000.
 * A set but invalid value is an error rather than a silent fall-back: FC would not reach the server.
 */
export function resolvePort(port: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (port !== undefined) return checkPort(port, 'port', String(port));
  for (const name of ['FC_CUSTOM_LISTEN_PORT', 'FC_SERVER_PORT']) {
    const value = env[name];
    if (value) return checkPort(parsePortText(value), name, JSON.stringify(value));
  }
  return DEFAULT_PORT;
}

/**
 * A port from text, as the CLI's `--port` reads it: blank text (`Number(' ')` is 0, which would
 * listen on a random port FC never reaches) is not a number. An empty variable counts as unset.
 */
function parsePortText(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

function checkDuration(value: number | undefined, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${where} must be a number of ms >= 0, got ${String(value)}`);
  return value;
}

/** Fills in defaults and checks every option, throwing a `TypeError` that names a bad one. */
export function resolveOptions(options: Options = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const healthPath = options.healthPath ?? '';
  if (healthPath && !healthPath.startsWith('/')) throw new TypeError(`healthPath must start with "/", got "${healthPath}"`);
  const profile = resolveProfile(options.profile, env);
  // FC 3.0's runtime reads its level variable; FC 2.0's has none, so under fc2 it changes nothing.
  const logLevel = options.logLevel ?? (profile.name === 'fc3' ? readLogLevelEnv(env) : undefined);
  return {
    port: resolvePort(options.port, env),
    host: options.host ?? DEFAULT_HOST,
    profile,
    limits: resolveLimits(options.limits, env, profile.limits),
    shutdownTimeoutMs: checkDuration(options.shutdownTimeoutMs, DEFAULT_SHUTDOWN_TIMEOUT_MS, 'shutdownTimeoutMs'),
    headersTimeoutMs: checkDuration(options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS, 'headersTimeoutMs'),
    bodyTimeoutMs: checkDuration(options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS, 'bodyTimeoutMs'),
    healthPath,
    markers: options.markers ?? true,
    logLevel: parseLogThreshold(logLevel),
    stripBasePath: options.stripBasePath ?? true,
    asyncContext: (options.asyncContext ?? false) || (options.formatConsole ?? false),
    fetchGlobals: options.fetchGlobals ?? true,
    formatConsole: options.formatConsole ?? false,
    handleSignals: options.handleSignals ?? true,
  };
}
