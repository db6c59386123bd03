/**
 * The local gateway's settings: the function's configuration as FC would hold it (name, memory,
 * timeout, hooks, concurrency), where the gateway listens, and how it runs the container's command.
 * Defaults are FC-like and are what `fc-container emulate --help` shows.
 */
import type { Writable } from 'node:stream';
import { resolveLimitsPreset, type Limits, type LimitsOption } from '../rules/limits.js';
import { checkPort } from '../rules/port.js';
import { resolveProfile, type Profile, type ProfileRules } from '../rules/profile.js';
import { resolveProfileLimits } from './profile-limits.js';

/** Options of `createGateway()`: the CLI's flags in camelCase, plus `command` or `target`. */
export interface GatewayOptions {
  /** The container's command, as an argv array (`['node', 'server.js']`). One of `command` or `target`. */
  command?: readonly string[];
  /** A server already running (any language), e.g. `http://127.0.0.1:9000`: forwarded to, never started. */
  target?: string;
  /** The gateway's own port; default 8000; 0 picks a free one. */
  port?: number;
  /** The gateway's address; default `127.0.0.1` (use `0.0.0.0` to reach it from elsewhere). */
  host?: string;
  /** Default `my-function`. */
  functionName?: string;
  /** FC 2.0's service; default `my-service`. Sent only on the FC 2.0 routes. */
  serviceName?: string;
  /** Default `cn-hangzhou`. */
  region?: string;
  /** Default `1234567890123456`. */
  accountId?: string;
  /** Memory in MB (`x-fc-function-memory`, `FC_FUNCTION_MEMORY_SIZE`); default 512. */
  memory?: number;
  /** Function timeout in seconds, per invocation; default 60. */
  timeout?: number;
  /** `x-fc-function-handler`; default `index.handler`. */
  handler?: string;
  /** The function has an Initializer: `POST /initialize` before the first request of each instance. */
  initializer?: boolean;
  /** `x-fc-function-initializer`; default `index.initializer`. */
  initializerHandler?: string;
  /** Initializer timeout in seconds (`x-fc-initialization-timeout`); default 30. */
  initializationTimeout?: number;
  /** The function has a PreStop hook: `GET /pre-stop` before the instance is stopped. */
  preStop?: boolean;
  /** `x-fc-instance-lifecycle-pre-stop-handler`; default `index.preStop`. */
  preStopHandler?: string;
  /** PreStop timeout in seconds; default 3. */
  preStopTimeout?: number;
  /** Instance concurrency: requests at once inside the container; default 1. */
  concurrency?: number;
  /** `x-fc-qualifier` when the URL names none; default `LATEST`. */
  qualifier?: string;
  /**
   * The platform generation whose rules apply: request ids, header rules, limits and the HTTP
   * trigger's URL form; default `FC_CONTAINER_PROFILE`, else `'fc2'`. The command is told it too.
   */
  profile?: Profile;
  /** FC's limits, as in the core: `'fc3'` or byte overrides, over the profile's; default the profile's (or `FC_CONTAINER_LIMITS`). */
  limits?: LimitsOption;
  /** Serve the HTTP trigger at the root as a custom domain does (no base path, no forced download). */
  customDomain?: boolean;
  /** `FC_CUSTOM_LISTEN_PORT` given to the command; default a free port. */
  containerPort?: number;
  /** Seconds the command has to open its port (FC allows 120); default 120. */
  startTimeout?: number;
  /** Seconds between SIGTERM and SIGKILL when the instance is stopped; default 10. */
  stopTimeout?: number;
  /** More environment variables for the command. */
  env?: Readonly<Record<string, string>>;
  /** Billing unit in ms for the summary's billed duration; default 1 (FC 3.0). */
  billingUnit?: number;
  /** Retries of a failed asynchronous invocation, FC's `maxAsyncRetryAttempts`: 0 to 8, default 3. */
  asyncRetries?: number;
  /** Wait before an asynchronous event's first retry, ms, doubled for each next one; default 500. */
  asyncBackoff?: number;
  /** Where the gateway prints its lines and the command's stdout; default `process.stdout`. */
  stdout?: Writable;
  /** Where the command's stderr goes; default `process.stderr`. */
  stderr?: Writable;
}

/** {@link GatewayOptions} checked, with every default filled in. */
export interface ResolvedGatewayOptions {
  command: readonly string[] | undefined;
  target: URL | undefined;
  port: number;
  host: string;
  functionName: string;
  serviceName: string;
  region: string;
  accountId: string;
  memory: number;
  timeout: number;
  handler: string;
  initializer: boolean;
  initializerHandler: string;
  initializationTimeout: number;
  preStop: boolean;
  preStopHandler: string;
  preStopTimeout: number;
  concurrency: number;
  qualifier: string;
  /** The profile's rules; the command gets `FC_CONTAINER_PROFILE=<name>` so an fc-container inside applies the same. */
  profile: ProfileRules;
  limits: Limits;
  /** The command gets `FC_CONTAINER_LIMITS=fc3` so an fc-container inside enforces the same numbers. */
  limitsPreset: 'fc3' | undefined;
  customDomain: boolean;
  containerPort: number;
  startTimeout: number;
  stopTimeout: number;
  env: Readonly<Record<string, string>>;
  billingUnit: number;
  asyncRetries: number;
  asyncBackoff: number;
  stdout: Writable;
  stderr: Writable;
}

export const GATEWAY_DEFAULTS = {
  port: 8000,
  host: '127.0.0.1',
  functionName: 'my-function',
  serviceName: 'my-service',
  region: 'cn-hangzhou',
  accountId: '1234567890123456',
  memory: 512,
  timeout: 60,
  handler: 'index.handler',
  initializerHandler: 'index.initializer',
  initializationTimeout: 30,
  preStopHandler: 'index.preStop',
  preStopTimeout: 3,
  concurrency: 1,
  qualifier: 'LATEST',
  startTimeout: 120,
  stopTimeout: 10,
  billingUnit: 1,
  // FC's default and range of maxAsyncRetryAttempts: "Valid values: [0,8]. If you do not configure
  // this parameter, the default number of retries is 3"
  // (https://alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-putasyncinvokeconfiginput).
  asyncRetries: 3,
  // FC does not say how long it waits between retries of a function error; its documented backoff
  // (for throttled events) starts at 0.5 s and doubles. Three retries wait 0.5 + 1 + 2 s here.
  asyncBackoff: 500,
} as const;

/** FC's range of `maxAsyncRetryAttempts`. */
export const MAX_ASYNC_RETRIES = 8;

/** FC's own pattern for function and service names. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

function checkName(value: string, where: string): string {
  if (!NAME.test(value)) throw new TypeError(`${where} must be a name of letters, digits, "_" and "-" (starting with a letter or "_"), got "${value}"`);
  return value;
}

function checkPositive(value: number | undefined, fallback: number, where: string, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${where} must be a ${integer ? 'whole ' : ''}number > 0, got ${String(value)}`);
  }
  return value;
}

/** Fills in the defaults and checks every option, throwing a `TypeError` that names a bad one. */
export function resolveGatewayOptions(options: GatewayOptions, env: NodeJS.ProcessEnv = process.env): ResolvedGatewayOptions {
  const { command, target } = options;
  if ((command === undefined) === (target === undefined)) {
    throw new TypeError('Give either command (an argv array) or target (a URL), not both and not neither');
  }
  if (command !== undefined && (!Array.isArray(command) || command.length === 0 || command.some((part) => typeof part !== 'string'))) {
    throw new TypeError('command must be a non-empty array of strings (an argv array)');
  }
  let targetUrl: URL | undefined;
  if (target !== undefined) {
    try {
      targetUrl = new URL(target);
    } catch {
      throw new TypeError(`target must be a URL such as http://127.0.0.1:9000, got "${target}"`);
    }
    if (targetUrl.protocol !== 'http:') throw new TypeError(`target must be an http:// URL, got "${target}"`);
  }
  const profile = resolveProfile(options.profile, env);
  const limits = resolveProfileLimits(profile, options.limits, env);
  const preset = resolveLimitsPreset(options.limits, env);
  const billingUnit = checkPositive(options.billingUnit, GATEWAY_DEFAULTS.billingUnit, 'billingUnit', true);
  const asyncRetries = options.asyncRetries ?? GATEWAY_DEFAULTS.asyncRetries;
  if (!Number.isInteger(asyncRetries) || asyncRetries < 0 || asyncRetries > MAX_ASYNC_RETRIES) {
    throw new TypeError(`asyncRetries must be a whole number from 0 to ${MAX_ASYNC_RETRIES} (FC's maxAsyncRetryAttempts), got ${String(options.asyncRetries)}`);
  }
  const asyncBackoff = options.asyncBackoff ?? GATEWAY_DEFAULTS.asyncBackoff;
  if (!Number.isFinite(asyncBackoff) || asyncBackoff < 0) throw new TypeError(`asyncBackoff must be a number of ms >= 0, got ${String(options.asyncBackoff)}`);
  return {
    command: command ? [...command] : undefined,
    target: targetUrl,
    port: checkPort(options.port ?? GATEWAY_DEFAULTS.port, 'port'),
    host: options.host ?? GATEWAY_DEFAULTS.host,
    functionName: checkName(options.functionName ?? GATEWAY_DEFAULTS.functionName, 'functionName'),
    serviceName: checkName(options.serviceName ?? GATEWAY_DEFAULTS.serviceName, 'serviceName'),
    region: options.region ?? GATEWAY_DEFAULTS.region,
    accountId: options.accountId ?? GATEWAY_DEFAULTS.accountId,
    memory: checkPositive(options.memory, GATEWAY_DEFAULTS.memory, 'memory', true),
    timeout: checkPositive(options.timeout, GATEWAY_DEFAULTS.timeout, 'timeout'),
    handler: options.handler ?? GATEWAY_DEFAULTS.handler,
    initializer: options.initializer ?? false,
    initializerHandler: options.initializerHandler ?? GATEWAY_DEFAULTS.initializerHandler,
    initializationTimeout: checkPositive(options.initializationTimeout, GATEWAY_DEFAULTS.initializationTimeout, 'initializationTimeout'),
    preStop: options.preStop ?? false,
    preStopHandler: options.preStopHandler ?? GATEWAY_DEFAULTS.preStopHandler,
    preStopTimeout: checkPositive(options.preStopTimeout, GATEWAY_DEFAULTS.preStopTimeout, 'preStopTimeout'),
    concurrency: checkPositive(options.concurrency, GATEWAY_DEFAULTS.concurrency, 'concurrency', true),
    qualifier: options.qualifier ?? GATEWAY_DEFAULTS.qualifier,
    profile,
    limits,
    limitsPreset: preset === 'fc3' ? 'fc3' : undefined,
    customDomain: options.customDomain ?? false,
    containerPort: options.containerPort === undefined ? 0 : checkPort(options.containerPort, 'containerPort'),
    startTimeout: checkPositive(options.startTimeout, GATEWAY_DEFAULTS.startTimeout, 'startTimeout'),
    stopTimeout: checkPositive(options.stopTimeout, GATEWAY_DEFAULTS.stopTimeout, 'stopTimeout'),
    env: { ...options.env },
    billingUnit,
    asyncRetries,
    asyncBackoff,
    stdout: options.stdout ?? process.stdout,
    stderr: options.stderr ?? process.stderr,
  };
}
