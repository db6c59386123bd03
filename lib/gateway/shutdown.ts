/**
 * Stopping in FC's order: no new requests, those inside finish (up to `stopTimeout`), `GET
 * /pre-stop`, then SIGTERM to the command and SIGKILL after `stopTimeout`.
 */
import { performance } from 'node:perf_hooks';
import { exchangeWhole } from './exchange.js';
import { buildFcHeaders } from './fc-headers.js';
import { newRequestId } from './ids.js';
import { sleep } from './sleep.js';
import { destroyRelays } from './websocket.js';
import type { GatewayInstance, GatewayState } from './state.js';

const EMPTY = Buffer.alloc(0);

export async function stopGateway(gw: GatewayState): Promise<void> {
  const o = gw.options;
  gw.async.close();
  gw.slots.close();
  const serverClosed = new Promise<void>((resolve) => gw.server.close(() => resolve()));
  gw.server.closeIdleConnections();
  const deadline = Date.now() + o.stopTimeout * 1000;
  // Open WebSockets hold slots until they close; the container's shutdown closes them below.
  while (gw.slots.busy > gw.relays.size && Date.now() < deadline) await sleep(20);
  const dropped = gw.async.dropped;
  if (dropped > 0) gw.printer.line(`Stopped with ${dropped} asynchronous event${dropped === 1 ? '' : 's'} not run (queued, delayed or waiting for a retry): dropped`);
  const instance = gw.current;
  if (instance && instance.state === 'ready' && o.preStop) await runPreStop(gw, instance);
  if (instance) await instance.stop(o.stopTimeout * 1000);
  // A restart under way: a new instance it registered is stopped here (its wait for readiness
  // then fails); one it spawns from now on is stopped by the restart itself on seeing closing,
  // which this waits for.
  if (gw.current && gw.current !== instance) await gw.current.stop(o.stopTimeout * 1000);
  await gw.starting?.catch(() => {});
  await destroyRelays(gw);
  gw.server.closeAllConnections();
  await serverClosed;
  process.removeListener('exit', gw.onProcessExit);
}

export async function runPreStop(gw: GatewayState, instance: GatewayInstance): Promise<void> {
  const o = gw.options;
  const requestId = newRequestId(gw.options.profile.name);
  const started = performance.now();
  try {
    const answer = await exchangeWhole(instance, { method: 'GET', path: '/pre-stop', headers: buildFcHeaders(gw, requestId, '/pre-stop'), body: EMPTY }, o.preStopTimeout * 1000, gw.maxResponseHead);
    gw.printer.line(`PreStop RequestId: ${requestId} answered ${answer.status} in ${(performance.now() - started).toFixed(2)} ms`);
  } catch (error) {
    const message = (error as Error).name === 'TimeoutError' ? `timed out after ${o.preStopTimeout} seconds` : (error as Error).message;
    gw.printer.warn(`PreStop RequestId: ${requestId} failed: ${message} (the instance is stopped anyway)`);
  }
}
