/**
 * `fc-container emulate [options] -- <command...>` (or `--target <url>`): FC's gateway, locally.
 */
import { parseArgs } from 'node:util';
import { createGateway, type Gateway } from './gateway.js';
import { GATEWAY_DEFAULTS as D, type GatewayOptions } from './options.js';
import { describeProfile } from './profile-limits.js';
import { isCheck, runCheckCli } from './check/cli.js';
import { UsageError } from './usage-error.js';

/** Exit code for a usage error. */
const EXIT_USAGE = 2;
/** Exit code when the gateway or the instance does not start. */
const EXIT_START = 1;

export const EMULATE_HELP = `Usage: fc-container emulate [options] -- <command...>
       fc-container emulate [options] --target http://host:port

Runs FC's gateway locally in front of a Custom Container's server: starts <command> with the
environment FC gives a container (FC_CUSTOM_LISTEN_PORT and the other FC_* variables, your
ALIBABA_CLOUD_* credentials), waits until its port accepts connections, and serves FC's
invocation APIs and HTTP trigger with FC's limits, header rules, Initializer, PreStop, timeout
and instance concurrency. With --target, forwards to a server already running (any language).

URLs (on http://<host>:<port>):
  POST /2023-03-30/functions/<name>/invocations                   event invocation, FC 3.0
  POST /2016-08-15/services/<service>/functions/<name>/invocations event invocation, FC 2.0
  ANY  /2016-08-15/proxy/<service>/<name>/...                      HTTP trigger, default domain
  ANY  /...                                                        HTTP trigger, with --custom-domain
                                                                   or --profile fc3 (FC 3.0's <prefix>.<region>.fcapp.run/...)

Gateway:
  --port <n>                  Port of the gateway (default ${D.port}; 0: a free one)
  --host <address>            Address of the gateway (default ${D.host})
  --target <url>              Forward to this server instead of starting a command
  --profile <fc2|fc3>         FC 2.0's or FC 3.0's rules: request ids, header rules, limits, HTTP trigger
                              at the root under fc3 (default: FC_CONTAINER_PROFILE, else fc2); the
                              command gets FC_CONTAINER_PROFILE too
  --limits <preset>           "fc3" for FC 3.0's limits over the profile's (default: FC_CONTAINER_LIMITS,
                              else the profile's); the command gets FC_CONTAINER_LIMITS=fc3 too
  --custom-domain             Serve the HTTP trigger at the root, as a custom domain does
                              (no x-fc-base-path, no forced content-disposition: attachment)

Function (as configured on FC):
  --function-name <name>      Function name (default ${D.functionName})
  --service-name <name>       FC 2.0 service name (default ${D.serviceName})
  --region <id>               Region (default ${D.region})
  --account-id <id>           Account id (default ${D.accountId})
  --memory <mb>               Memory size in MB (default ${D.memory})
  --timeout <s>               Function timeout per invocation in seconds (default ${D.timeout})
  --handler <name>            x-fc-function-handler (default ${D.handler})
  --concurrency <n>           Instance concurrency (default ${D.concurrency})
  --qualifier <q>             x-fc-qualifier when the URL names none (default ${D.qualifier})
  --initializer               The function has an Initializer: POST /initialize once per instance
  --initializer-handler <h>   x-fc-function-initializer (default ${D.initializerHandler})
  --initialization-timeout <s> Initializer timeout in seconds (default ${D.initializationTimeout})
  --pre-stop                  The function has a PreStop hook: GET /pre-stop before stopping
  --pre-stop-handler <h>      x-fc-instance-lifecycle-pre-stop-handler (default ${D.preStopHandler})
  --pre-stop-timeout <s>      PreStop timeout in seconds (default ${D.preStopTimeout})

Command:
  --container-port <n>        FC_CUSTOM_LISTEN_PORT for the command (default: a free port)
  --start-timeout <s>         Seconds for the command to open its port (default ${D.startTimeout}, as FC)
  --stop-timeout <s>          Seconds between SIGTERM and SIGKILL (default ${D.stopTimeout})
  --env <NAME=value>          An environment variable for the command (repeatable)
  --billing-unit <ms>         Billing unit of the summary's billed duration (default ${D.billingUnit}, FC 3.0)
  --async-retries <n>         Retries of a failed asynchronous invocation, 0 to 8 (default ${D.asyncRetries}, FC's)
  --async-backoff <ms>        Wait before the first retry, doubled for each next (default ${D.asyncBackoff})
  -h, --help                  Show this help

Ctrl-C (or SIGTERM) stops in FC's order: GET /pre-stop (with --pre-stop), SIGTERM, SIGKILL after
--stop-timeout. A second Ctrl-C kills at once.

Conformance check (--check): starts the command as above (or checks --target), runs FC's contract
against it and prints one line per check, PASS, WARN, FAIL or SKIP, with the fix for each WARN and
FAIL; exits 1 when a check FAILs.
  --check                  run the check instead of the gateway
  --json                   the report as one JSON document
  --idle <s>               keep-alive: seconds a connection stays idle, then serves again (default 7)
  --trickle <s>            an upload whose body trickles in for <s> seconds is read to its end
  --long                   idle 7, 66 and 960 s (FC keeps connections over 15 min), trickle 310 s
  --event <file|text>      the event POST /invoke sends (default {})
  --http, --http-path <p>  also check the HTTP function (GET <p>, default /)
  (--initializer, --pre-stop, --concurrency N, --timeout, --container-port, --profile and the
  other options above apply to it)
`;

function fail(message: string): void {
  process.stderr.write(`fc-container emulate: ${message}\n`);
  process.exitCode = EXIT_USAGE;
}


function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`${flag} needs a number, got "${value}"`);
  return parsed;
}

/** Parses the flags into `createGateway()` options; throws a `UsageError` for a bad flag. */
export function parseEmulateArgs(args: readonly string[]): GatewayOptions | 'help' {
  const separator = args.indexOf('--');
  const flags = separator === -1 ? [...args] : args.slice(0, separator);
  const command = separator === -1 ? undefined : args.slice(separator + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: flags,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        target: { type: 'string' },
        profile: { type: 'string' },
        limits: { type: 'string' },
        'custom-domain': { type: 'boolean' },
        'function-name': { type: 'string' },
        'service-name': { type: 'string' },
        region: { type: 'string' },
        'account-id': { type: 'string' },
        memory: { type: 'string' },
        timeout: { type: 'string' },
        handler: { type: 'string' },
        concurrency: { type: 'string' },
        qualifier: { type: 'string' },
        initializer: { type: 'boolean' },
        'initializer-handler': { type: 'string' },
        'initialization-timeout': { type: 'string' },
        'pre-stop': { type: 'boolean' },
        'pre-stop-handler': { type: 'string' },
        'pre-stop-timeout': { type: 'string' },
        'container-port': { type: 'string' },
        'start-timeout': { type: 'string' },
        'stop-timeout': { type: 'string' },
        env: { type: 'string', multiple: true },
        'billing-unit': { type: 'string' },
        'async-retries': { type: 'string' },
        'async-backoff': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun 'fc-container emulate --help' for the options.`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (positionals.length > 0) {
    throw new UsageError(`unexpected "${positionals[0]}": put the command after "--" (fc-container emulate [options] -- node server.js)`);
  }
  if (v.target !== undefined && command !== undefined) throw new UsageError('give either --target <url> or "-- <command...>", not both');
  if (v.target === undefined && (command === undefined || command.length === 0)) {
    throw new UsageError('give the command to run after "--" (fc-container emulate -- node server.js), or --target <url>');
  }
  if (v.profile !== undefined && v.profile !== 'fc2' && v.profile !== 'fc3') throw new UsageError(`--profile takes "fc2" or "fc3", got "${v.profile}"`);
  if (v.limits !== undefined && v.limits !== 'fc3') throw new UsageError(`--limits takes "fc3", got "${v.limits}"`);
  const env: Record<string, string> = {};
  for (const pair of v.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env takes NAME=value, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    command,
    target: v.target,
    port: number(v.port, '--port'),
    host: v.host,
    profile: v.profile as 'fc2' | 'fc3' | undefined,
    limits: v.limits as 'fc3' | undefined,
    customDomain: v['custom-domain'],
    functionName: v['function-name'],
    serviceName: v['service-name'],
    region: v.region,
    accountId: v['account-id'],
    memory: number(v.memory, '--memory'),
    timeout: number(v.timeout, '--timeout'),
    handler: v.handler,
    concurrency: number(v.concurrency, '--concurrency'),
    qualifier: v.qualifier,
    initializer: v.initializer,
    initializerHandler: v['initializer-handler'],
    initializationTimeout: number(v['initialization-timeout'], '--initialization-timeout'),
    preStop: v['pre-stop'],
    preStopHandler: v['pre-stop-handler'],
    preStopTimeout: number(v['pre-stop-timeout'], '--pre-stop-timeout'),
    containerPort: number(v['container-port'], '--container-port'),
    startTimeout: number(v['start-timeout'], '--start-timeout'),
    stopTimeout: number(v['stop-timeout'], '--stop-timeout'),
    env,
    billingUnit: number(v['billing-unit'], '--billing-unit'),
    asyncRetries: number(v['async-retries'], '--async-retries'),
    asyncBackoff: number(v['async-backoff'], '--async-backoff'),
  };
}

/** The lines printed once the gateway is up: what runs, and how to call it. */
export function describeGateway(gateway: Gateway): string {
  const o = gateway.options;
  const base = gateway.url;
  const fn = o.functionName;
  const svc = o.serviceName;
  const fc3 = o.profile.name === 'fc3';
  const lines = [
    `Function ${fn} (${describeProfile(o.profile, o.limits)}; service ${svc}, ${o.region}, ${o.memory} MB, timeout ${o.timeout} s, concurrency ${o.concurrency}`
      + `${o.initializer ? ', Initializer' : ''}${o.preStop ? ', PreStop' : ''}) listening on ${base}`,
    `  event, FC 3.0:  curl -s -XPOST ${base}/2023-03-30/functions/${fn}/invocations -d '{"key":"value"}'`,
    `  event, FC 2.0:  curl -s -XPOST ${base}/2016-08-15/services/${svc}/functions/${fn}/invocations -d '{"key":"value"}'`,
  ];
  if (fc3) lines.push(`  HTTP trigger:   curl -s ${base}/   (FC 3.0's <prefix>.<region>.fcapp.run/<path>)`);
  lines.push(`  ${fc3 ? 'FC 2.0 proxy:' : 'HTTP trigger:'}   curl -s ${base}/2016-08-15/proxy/${svc}/${fn}/`);
  if (o.customDomain && !fc3) lines.push(`  custom domain:  curl -s ${base}/`);
  lines.push('Ctrl-C stops (PreStop, SIGTERM, SIGKILL).');
  return lines.join('\n');
}

/** Runs `fc-container emulate`; the process keeps running until Ctrl-C/SIGTERM. */
export async function runEmulateCli(args: readonly string[]): Promise<void> {
  if (isCheck(args)) return runCheckCli(args, parseEmulateArgs);
  let options: GatewayOptions | 'help';
  try {
    options = parseEmulateArgs(args);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(error.message);
      return;
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(EMULATE_HELP);
    return;
  }
  // Signals are handled from the start: a Ctrl-C while the command starts stops it too.
  let gateway: Gateway | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      gateway?.kill();
      process.stderr.write(`fc-container emulate: ${signal} again: killed\n`);
      process.exit(1);
    }
    stopping = true;
    if (!gateway) {
      process.exit(1);
    }
    gateway.printer.line(`${signal}: stopping (${gateway.options.preStop ? 'PreStop, ' : ''}SIGTERM, then SIGKILL after ${gateway.options.stopTimeout} s); again to kill at once`);
    gateway.close().then(() => {
      gateway!.printer.line('Stopped');
      process.exit(0);
    }, (error: unknown) => {
      process.stderr.write(`fc-container emulate: ${String((error as Error)?.stack ?? error)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    gateway = await createGateway(options);
  } catch (error) {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    const message = error instanceof TypeError ? error.message : (error as Error).message;
    process.stderr.write(`fc-container emulate: ${message}\n`);
    process.exitCode = error instanceof TypeError ? EXIT_USAGE : EXIT_START;
    return;
  }
  gateway.printer.line(describeGateway(gateway));
}
