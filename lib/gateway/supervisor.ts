/**
 * The instance supervisor: starts the function's instance (a command, or a --target server),
 * waits until it is ready, warns when FC could not reach it, and replaces it once when it dies
 * or misbehaves; a request arriving meanwhile waits for the new one.
 */
import { createServer as createNetServer } from 'node:net';
import { PROFILE_ENV } from '../rules/profile.js';
import { newInstanceId } from './ids.js';
import { Instance, StartError } from './instance.js';
import { isLoopbackAddress, readListenAddresses } from './listen-address.js';
import type { ReadyReport } from './reports.js';
import type { GatewayInstance, GatewayState } from './state.js';

/** Resolves to a port nobody listens on now (the command is given it in FC_CUSTOM_LISTEN_PORT). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '0.0.0.0', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a new instance (the command, or the --target server) and resolves once it is ready. */
export async function startInstance(gw: GatewayState): Promise<GatewayInstance> {
  if (gw.closing) throw new StartError('exited', 'The gateway is shutting down', 0, null, null, '');
  const o = gw.options;
  const instanceId = newInstanceId();
  let instance: GatewayInstance;
  if (o.target) {
    instance = Instance.target(o.target, instanceId);
  } else {
    const port = o.containerPort || await findFreePort();
    instance = Instance.spawn({
      command: o.command!,
      env: buildChildEnv(gw, port, instanceId),
      port,
      instanceId,
      prefix: `[${o.functionName}] `,
      printer: gw.printer,
      onLine: (line) => gw.logs.onLine(line),
    });
    instance.onExit((exitedInstance, exit) => onInstanceExit(gw, exitedInstance, exit.code, exit.signal));
    // Stopping began while a free port was looked for (a restart under way): the gateway may have
    // stopped what it knew of already, so this one is stopped here rather than left running.
    if (gw.closing) {
      await instance.stop(o.stopTimeout * 1000);
      throw new StartError('exited', 'The gateway is shutting down', port, null, null, '');
    }
  }
  gw.current = instance;
  try {
    await instance.waitReady(o.startTimeout * 1000);
  } catch (error) {
    await instance.stop(o.stopTimeout * 1000);
    throw error;
  }
  const readyMs = instance.readyMs!;
  if (o.target) {
    gw.printer.line(`Forwarding to ${o.target.origin} (--target; not started or stopped here, memory not measured)`);
  } else {
    gw.printer.line(`Cold start: instance ${instance.id} (pid ${instance.pid}) listening on port ${instance.port} ${readyMs} ms after spawn`);
    warnIfLoopbackOnly(gw, instance);
  }
  gw.emit('ready', { instanceId: instance.id, pid: instance.pid, port: instance.port, readyMs } satisfies ReadyReport);
  return instance;
}

/** The environment FC gives a container: the caller's, the options' `env`, and FC's own variables. */
function buildChildEnv(gw: GatewayState, port: number, instanceId: string): NodeJS.ProcessEnv {
  const o = gw.options;
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  if (o.limitsPreset === 'fc3' && env.FC_CONTAINER_LIMITS === undefined) env.FC_CONTAINER_LIMITS = 'fc3';
  // The profile the gateway applies, not one inherited from its own environment; `env` may still say otherwise.
  if (o.env[PROFILE_ENV] === undefined) env[PROFILE_ENV] = o.profile.name;
  Object.assign(env, {
    FC_CUSTOM_LISTEN_PORT: String(port),
    FC_SERVER_PORT: String(port),
    FC_FUNCTION_NAME: o.functionName,
    FC_FUNCTION_HANDLER: o.handler,
    FC_FUNCTION_MEMORY_SIZE: String(o.memory),
    FC_REGION: o.region,
    FC_ACCOUNT_ID: o.accountId,
    FC_INSTANCE_ID: instanceId,
    FC_QUALIFIER: o.qualifier,
  });
  return env;
}

/**
 * FC cannot reach a server that listens on loopback only (FunctionNotStarted): say so. The
 * addresses come from /proc, so nothing is sent off this machine's loopback to find out.
 */
function warnIfLoopbackOnly(gw: GatewayState, instance: GatewayInstance): void {
  if (instance.pid === undefined || instance.state !== 'ready') return;
  const addresses = readListenAddresses(instance.pid, instance.port);
  if (addresses === undefined) {
    if (gw.saidAddressUnknown) return;
    gw.saidAddressUnknown = true;
    gw.printer.line(`Cannot tell from /proc which address port ${instance.port} listens on (not Linux, or not in the command's process group). `
      + 'FC connects from outside the container: the server must listen on 0.0.0.0.');
    return;
  }
  if (!addresses.every(isLoopbackAddress)) return;
  gw.printer.warn(`Warning: the function accepts connections on ${[...new Set(addresses)].join(' and ')} only (loopback), port ${instance.port}. `
    + 'FC connects from outside the container: listen on 0.0.0.0, or FC reports FunctionNotStarted.');
}

/** A process that exits on its own, once ready and not being replaced, is restarted. */
function onInstanceExit(gw: GatewayState, instance: GatewayInstance, code: number | null, signal: NodeJS.Signals | null): void {
  gw.emit('exit', { instanceId: instance.id, code, signal });
  if (instance.replaced || gw.closing || instance.readyMs === undefined) return;
  gw.printer.warn(`Instance ${instance.id} exited unexpectedly (${signal ? `killed by ${signal}` : `code ${code}`})`);
  restartInstance(gw, instance, 'its process exited');
}

/** The ready instance; waits for one being started, or starts one when the last one died. */
export function getReadyInstance(gw: GatewayState): Promise<GatewayInstance> {
  if (gw.starting) return gw.starting;
  const current = gw.current;
  if (current && current.state === 'ready') return Promise.resolve(current);
  const starting = startInstance(gw);
  gw.starting = starting;
  const clear = (): void => { if (gw.starting === starting) gw.starting = undefined; };
  starting.then(clear, clear);
  return starting;
}

/**
 * Replaces `instance` (once): stops it (SIGTERM, then SIGKILL) and starts a new one at once; a
 * request arriving meanwhile waits for the new one. A `--target` server cannot be restarted: its
 * Initializer state is reset instead.
 */
export function restartInstance(gw: GatewayState, instance: GatewayInstance, reason: string): void {
  if (instance.replaced || gw.closing || gw.current !== instance) return;
  instance.replaced = true;
  gw.emit('restart', { instanceId: instance.id, reason });
  if (gw.options.target) {
    gw.printer.warn(`The --target server cannot be restarted here (${reason}); its Initializer will run again`);
    instance.init = { done: false, running: undefined };
    instance.replaced = false;
    return;
  }
  gw.printer.warn(`Restarting instance ${instance.id}: ${reason}`);
  if (instance.state === 'ready') instance.state = 'stopping';
  const starting = instance.stop(gw.options.stopTimeout * 1000).then(() => startInstance(gw));
  gw.starting = starting;
  const clear = (): void => { if (gw.starting === starting) gw.starting = undefined; };
  starting.then(clear, (error: Error) => {
    clear();
    if (!gw.closing) gw.printer.warn(`The new instance did not start: ${error.message}`);
  });
}
