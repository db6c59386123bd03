// The WebSocket relay: 1 KiB binary messages echoed by the same container (ws-raw.mjs, bare
// node:http + ws), sent straight to it (`direct`), through the local gateway in front of it
// (`via-gateway`: ws-gateway.mjs, createGateway({ target, customDomain: true }), which pipes the
// two sockets after the container's 101), or through the floor (`via-tcp-pipe`: tcp-pipe.mjs, a
// bare TCP relay, what any relay written in Node pays). The load is ws-load.mjs's echo mode in its
// own process on the load core: `connections` long-lived WebSockets, each sending a message and
// awaiting its echo in a loop. Fresh processes per variant per round, rounds interleaved and alternating in
// order. The gateway runs on the server core beside the container: the load core stays the
// client's alone in both variants (one Node client is what limits the rate, so a gateway beside
// it would take its CPU and change the offered load), and the gateway's CPU time is taken on the
// same core as the container's it is compared with. CPU time per echoed message comes from /proc
// over the echo loop only (after every connection is open, before any closes): the gateway's in
// via-gateway runs, the container's in direct runs, and their paired per-round ratio. The relay in
// front (the gateway or the floor) is `gateway` in the process table.
import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ROOT, SERVERS_DIR, WS_VARIANTS, RELAY_VARIANTS } from './config.mjs';
import { launch, launchNode, shutdown, describeExit } from './server.mjs';
import { readCpuTime, snapshotMachineCpu, foreignCpuSeconds, waitForText, pinned, trackChild } from './procs.mjs';
import { waitForQuiet, measureUndisturbed } from './quiet.mjs';
import { echoOnce, echoMessage } from './ws-load.mjs';
import { median, spread } from './stats.mjs';

const LOADGEN = fileURLToPath(new URL('./ws-load.mjs', import.meta.url));
const CONTAINER = WS_VARIANTS.find((v) => v.name === 'ws-raw');

function clientVersion() {
  try {
    return `ws ${createRequire(join(ROOT, 'package.json'))('ws/package.json').version}`;
  } catch {
    return 'ws';
  }
}

const cpuSeconds = (before, after) => after.user - before.user + after.system - before.system;

/** The process a variant measures: its relay's server name (`ws-gateway`, `tcp-pipe`), else the container. */
const measuredName = (variant) => (variant.relay ? variant.relay.replace(/\.mjs$/, '') : 'container');

/**
 * One echo run of `seconds` against `url`: the client's WSJSON summary, with each process's CPU
 * time (container, gateway when there is one, client) and the machine's, read when every
 * connection is open and again when the last echo is in.
 */
async function runClient(ctx, url, seconds, procs) {
  const { config } = ctx;
  const args = [LOADGEN, url, String(config.connections), String(seconds), 'echo', String(config.relayMessage)];
  const [command, argv] = pinned(ctx.loadCore, process.execPath, args);
  const child = trackChild(spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'] }));
  const exited = once(child, 'exit');
  exited.catch(() => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
  let stdout = '';
  let stderr = '';
  let before;
  let after;
  let summary;
  const read = () => ({
    machine: snapshotMachineCpu(),
    client: readCpuTime(child.pid),
    ...Object.fromEntries(Object.entries(procs).map(([name, proc]) => [name, readCpuTime(proc.pid)])),
  });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
    let newline;
    while ((newline = stdout.indexOf('\n')) >= 0) {
      const line = stdout.slice(0, newline);
      stdout = stdout.slice(newline + 1);
      if (line === 'WSOPEN' && !before) {
        before = read();
        child.stdin.write('go\n');
      } else if (line.startsWith('WSJSON ') && before && !after) {
        after = read();
        summary = JSON.parse(line.slice(7));
        child.stdin.end();
      }
    }
  });
  child.stdin.on('error', () => {}); // a client gone early: its exit says why
  const [code, signal] = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`ws-load exited ${code ?? signal}: ${stderr.slice(-300)}`);
  if (!summary) throw new Error(`ws-load printed no summary: ${stdout.slice(-300)}`);
  const cpu = Object.fromEntries(Object.keys(procs).concat('client').map((name) => [name, cpuSeconds(before[name], after[name])]));
  const user = Object.fromEntries(Object.keys(procs).map((name) => [name, after[name].user - before[name].user]));
  return { ...summary, cpu, user, machineBefore: before.machine, machineAfter: after.machine };
}

/** One measurement, with the CPU times per message and the machine's other load over it. */
async function measureOnce(ctx, url, procs) {
  const { config } = ctx;
  await waitForQuiet(ctx);
  const r = await runClient(ctx, url, config.duration, procs);
  const perMessage = (seconds) => (r.messages ? (seconds * 1e6) / r.messages : NaN);
  r.rate = r.messages / r.seconds;
  r.containerUsPerMessage = perMessage(r.cpu.container);
  r.containerUserUsPerMessage = perMessage(r.user.container);
  if (procs.gateway) {
    r.gatewayUsPerMessage = perMessage(r.cpu.gateway);
    r.gatewayUserUsPerMessage = perMessage(r.user.gateway);
  }
  // The measured process: the gateway when the messages went through it, else the container.
  r.cpuUsPerMessage = procs.gateway ? r.gatewayUsPerMessage : r.containerUsPerMessage;
  r.userUsPerMessage = procs.gateway ? r.gatewayUserUsPerMessage : r.containerUserUsPerMessage;
  r.clientUsPerMessage = perMessage(r.cpu.client);
  const ours = Object.values(r.cpu).reduce((a, b) => a + b, 0);
  r.serverCoreBusy = (r.cpu.container + (r.cpu.gateway ?? 0)) / r.seconds;
  r.loadCoreBusy = r.cpu.client / r.seconds;
  r.foreign = foreignCpuSeconds(r.machineBefore, r.machineAfter, ours) / (r.seconds * availableParallelism());
  delete r.machineBefore;
  delete r.machineAfter;
  if (r.messages === 0) r.error = `no message echoed${r.firstError ? `: ${r.firstError}` : ''}`;
  else if (r.errors > 0) r.error = `${r.errors} of ${config.connections} connections failed: ${r.firstError}`;
  return r;
}

/** One round for one variant: start the container (and the relay in front), check one echo, warm up, measure, stop. */
async function runOne(ctx, variant, round) {
  const { config } = ctx;
  const message = echoMessage(config.relayMessage);
  const container = await launch(ctx, CONTAINER, `relay${round}`);
  let gateway;
  try {
    let url;
    try {
      await waitForText(container.logPath, `ready ${CONTAINER.name}`, { timeoutMs: 15_000, proc: container });
      if (variant.relay) {
        const name = measuredName(variant);
        gateway = await launchNode(ctx, { name, file: join(SERVERS_DIR, variant.relay), args: [`http://127.0.0.1:${container.port}`], tag: `relay${round}` });
        await waitForText(gateway.logPath, `ready ${name}`, { timeoutMs: 15_000, proc: gateway });
        // Its own port (0: a free one), from its ready line, not the PORT launchNode offered.
        gateway.port = Number(new RegExp(`ready ${name} (\\d+)`).exec(readFileSync(gateway.logPath, 'utf8'))?.[1]);
      }
      url = `ws://127.0.0.1:${(gateway ?? container).port}/`;
      await echoOnce(url, message);
    } catch (error) {
      const dead = [container, gateway].filter((p) => p?.isDead()).map((p) => `${p === gateway ? 'gateway' : 'container'} ${describeExit(p)}`);
      return { error: `did not echo: ${error.message.split('\n')[0]}${dead.length ? `; ${dead.join('; ')}` : ''}` };
    }
    const procs = gateway ? { container, gateway } : { container };
    const isDead = () => container.isDead() || Boolean(gateway?.isDead());
    if (config.warmup > 0) await runClient(ctx, url, config.warmup, procs);
    let result = await measureUndisturbed(ctx, {
      label: `relay: ${variant.name}`,
      measure: () => measureOnce(ctx, url, procs),
      isDead,
    });
    if (container.isDead()) result = { error: `container ${describeExit(container)}` };
    else if (gateway?.isDead()) result = { error: `gateway ${describeExit(gateway)}` };
    return result;
  } finally {
    if (gateway) await shutdown(ctx, gateway);
    await shutdown(ctx, container);
  }
}

export async function measureRelay(ctx) {
  const { config } = ctx;
  const perRound = Object.fromEntries(RELAY_VARIANTS.map((v) => [v.name, []]));
  const backward = [...RELAY_VARIANTS].reverse();
  for (let round = 0; round < config.rounds; round++) {
    for (const variant of round % 2 === 0 ? RELAY_VARIANTS : backward) {
      let r;
      try {
        r = await runOne(ctx, variant, round);
      } catch (error) {
        r = { error: error.message.split('\n')[0] };
      }
      perRound[variant.name][round] = r;
      ctx.progress(`relay: round ${round + 1}/${config.rounds} ${variant.name}: ${r.error
        ? `FAILED (${r.error.slice(0, 120)})`
        : `${Math.round(r.rate)} messages/s, ${measuredName(variant)} ${r.cpuUsPerMessage.toFixed(1)} us CPU each`}`);
    }
  }
  return summarize(perRound, config.rounds, config.quietShare);
}

function summarize(perRound, rounds, quietShare) {
  const rows = RELAY_VARIANTS.map((v) => {
    const results = Array.from({ length: rounds }, (_, i) => perRound[v.name][i]);
    const good = results.filter((r) => r && !r.error);
    const med = (key) => median(good.map((r) => r[key]));
    return {
      name: v.name,
      about: v.about,
      measured: measuredName(v),
      failed: good.length === 0,
      errors: [...new Set(results.filter((r) => r?.error).map((r) => r.error))],
      rounds: results.map((r) => (r && !r.error
        ? {
          rate: r.rate, messages: r.messages, connections: r.connections, p50: r.p50, p99: r.p99,
          cpuUsPerMessage: r.cpuUsPerMessage, userUsPerMessage: r.userUsPerMessage,
          containerUsPerMessage: r.containerUsPerMessage, gatewayUsPerMessage: r.gatewayUsPerMessage, clientUsPerMessage: r.clientUsPerMessage,
          serverCoreBusy: r.serverCoreBusy, loadCoreBusy: r.loadCoreBusy, foreign: r.foreign, attempts: r.attempts, disturbed: (r.foreign ?? 0) > quietShare,
        }
        : { error: r?.error ?? 'not run' })),
      rate: med('rate'),
      spread: spread(good.map((r) => r.rate)),
      p50: med('p50'),
      p99: med('p99'),
      cpuUsPerMessage: med('cpuUsPerMessage'),
      userUsPerMessage: med('userUsPerMessage'),
      containerUsPerMessage: med('containerUsPerMessage'),
      clientUsPerMessage: med('clientUsPerMessage'),
      serverCoreBusy: med('serverCoreBusy'),
      loadCoreBusy: med('loadCoreBusy'),
      foreignMax: good.length ? Math.max(...good.map((r) => r.foreign ?? 0)) : NaN,
    };
  });
  // Per round, kept by index (NaN where either failed) so the report can show them beside the
  // rounds; the target takes the finite ones.
  const direct = rows.find((r) => r.name === 'direct');
  const via = rows.find((r) => r.name === 'via-gateway');
  const floor = rows.find((r) => r.name === 'via-tcp-pipe');
  const ratio = (viaKey, directKey, over = via, under = direct) => Array.from({ length: rounds }, (_, i) => {
    const a = over.rounds[i];
    const b = under.rounds[i];
    return a.error || b.error || !(b[directKey] > 0) ? NaN : a[viaKey] / b[directKey];
  });
  const withinVia = Array.from({ length: rounds }, (_, i) => {
    const a = via.rounds[i];
    return a.error || !(a.containerUsPerMessage > 0) ? NaN : a.gatewayUsPerMessage / a.containerUsPerMessage;
  });
  return {
    client: clientVersion(),
    rows,
    // The target's: the gateway's CPU per relayed message over the container's per echoed message.
    cpuRatio: ratio('gatewayUsPerMessage', 'containerUsPerMessage'),
    // The container's own CPU per message behind the gateway over without it (for reference).
    containerRatio: ratio('containerUsPerMessage', 'containerUsPerMessage'),
    rateRatio: ratio('rate', 'rate'),
    // The gateway's over the container's in the same via-gateway run, at the same message rate
    // (for reference: CPU per message falls as the rate rises, and the two variants' rates differ).
    sameRunRatio: withinVia,
    // The floor's CPU per relayed message over the container's per echoed message, and the
    // gateway's over the floor's: how much of the target's ratio any Node relay pays, and the
    // gateway's own share beyond it.
    floorRatio: ratio('gatewayUsPerMessage', 'containerUsPerMessage', floor),
    overFloorRatio: ratio('gatewayUsPerMessage', 'gatewayUsPerMessage', via, floor),
  };
}
