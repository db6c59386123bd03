// WebSocket handshakes: ws-raw (node:http handing upgrades to ws by hand) against ws-fc-container
// (the same app behind serve({ upgrade }), FC's rules and markers on each handshake). Every
// handshake is a fresh TCP connection, one message echoed, a close, from `connections` loops in
// ws-load.mjs (its own process, on the load core). A fresh server per variant per round, rounds
// interleaved and alternating in order, as in the throughput section; the server's CPU time per
// handshake comes from /proc, as its CPU time per request does there.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ROOT, WS_VARIANTS } from './config.mjs';
import { launch, shutdown, describeExit } from './server.mjs';
import { readCpuTime, snapshotMachineCpu, foreignCpuSeconds, runCommand, waitForText } from './procs.mjs';
import { waitForQuiet, measureUndisturbed } from './quiet.mjs';
import { roundTrip } from './ws-load.mjs';
import { median, spread } from './stats.mjs';

const LOADGEN = fileURLToPath(new URL('./ws-load.mjs', import.meta.url));

/** A variant's result when more than this share of its connections failed. */
const MAX_FAILED_SHARE = 0.01;

function clientVersion() {
  try {
    return `ws ${createRequire(join(ROOT, 'package.json'))('ws/package.json').version}`;
  } catch {
    return 'ws';
  }
}

/** One run of the client against `port` for `seconds`: its WSJSON summary. */
async function runClient(ctx, port, seconds) {
  const args = [LOADGEN, `ws://127.0.0.1:${port}/`, String(ctx.config.connections), String(seconds)];
  const { stdout } = await runCommand(process.execPath, args, { core: ctx.loadCore, timeoutMs: (seconds + 30) * 1000 });
  const line = stdout.split('\n').find((l) => l.startsWith('WSJSON '));
  if (!line) throw new Error(`ws-load printed no summary: ${stdout.slice(-300)}`);
  return JSON.parse(line.slice(7));
}

/** One measurement, with the server's CPU time and the machine's other load over it. */
async function measureOnce(ctx, proc) {
  const { config } = ctx;
  await waitForQuiet(ctx);
  const machineBefore = snapshotMachineCpu();
  const cpuBefore = readCpuTime(proc.pid);
  // The client exits once its last connection has closed, so the server's work for every
  // handshake counted is done when its CPU time is read again.
  const r = await runClient(ctx, proc.port, config.duration);
  const cpuAfter = readCpuTime(proc.pid);
  const machineAfter = snapshotMachineCpu();
  const cpu = cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system;
  r.rate = r.handshakes / r.seconds;
  r.cpuUsPerHandshake = r.handshakes ? (cpu * 1e6) / r.handshakes : NaN;
  r.userUsPerHandshake = r.handshakes ? ((cpuAfter.user - cpuBefore.user) * 1e6) / r.handshakes : NaN;
  r.cpuBusy = cpu / r.seconds;
  r.foreign = foreignCpuSeconds(machineBefore, machineAfter, cpu) / (r.seconds * availableParallelism());
  const attempted = r.handshakes + r.errors;
  if (r.handshakes === 0) r.error = `no handshake completed${r.firstError ? `: ${r.firstError}` : ''}`;
  else if (r.errors > MAX_FAILED_SHARE * attempted) r.error = `${r.errors} of ${attempted} connections failed: ${r.firstError}`;
  return r;
}

/** One round for one variant: start, check one echo, warm up, measure, stop. */
async function runOne(ctx, variant, round) {
  const { config } = ctx;
  const proc = await launch(ctx, variant, `ws${round}`);
  let result;
  let handshakes = 0;
  let logBytes = 0;
  try {
    try {
      await waitForText(proc.logPath, `ready ${variant.name}`, { timeoutMs: 15_000, proc });
      await roundTrip(`ws://127.0.0.1:${proc.port}/`, { timeoutMs: 5000 });
      handshakes++;
    } catch (error) {
      return { error: `did not echo: ${error.message.split('\n')[0]}${proc.isDead() ? `; ${describeExit(proc)}` : ''}` };
    }
    if (config.warmup > 0) handshakes += (await runClient(ctx, proc.port, config.warmup)).handshakes;
    result = await measureUndisturbed(ctx, {
      label: `websocket: ${variant.name}`,
      measure: () => measureOnce(ctx, proc),
      isDead: proc.isDead,
      onAttempt: (r) => { if (Number.isFinite(r.handshakes)) handshakes += r.handshakes; },
    });
    if (proc.isDead()) result = { error: describeExit(proc) };
  } finally {
    logBytes = await shutdown(ctx, proc);
  }
  // Markers: a Start and an End line per connection (the check's and the warm-up's included).
  if (!result.error) result.logBytesPerHandshake = handshakes ? logBytes / handshakes : 0;
  return result;
}

export async function measureWebSocket(ctx) {
  const { config } = ctx;
  const perRound = Object.fromEntries(WS_VARIANTS.map((v) => [v.name, []]));
  const backward = [...WS_VARIANTS].reverse();
  for (let round = 0; round < config.rounds; round++) {
    for (const variant of round % 2 === 0 ? WS_VARIANTS : backward) {
      const r = await runOne(ctx, variant, round);
      perRound[variant.name][round] = r;
      ctx.progress(`websocket: round ${round + 1}/${config.rounds} ${variant.name}: ${r.error
        ? `FAILED (${r.error.slice(0, 120)})`
        : `${Math.round(r.rate)} handshakes/s, server ${r.cpuUsPerHandshake.toFixed(1)} us CPU each`}`);
    }
  }
  return summarize(perRound, config.rounds, config.quietShare);
}

function summarize(perRound, rounds, quietShare) {
  const rows = WS_VARIANTS.map((v) => {
    const results = Array.from({ length: rounds }, (_, i) => perRound[v.name][i]);
    const good = results.filter((r) => r && !r.error);
    return {
      name: v.name,
      about: v.about,
      failed: good.length === 0,
      errors: [...new Set(results.filter((r) => r?.error).map((r) => r.error))],
      rounds: results.map((r) => (r && !r.error
        ? { rate: r.rate, handshakes: r.handshakes, failedConnections: r.errors, p50: r.p50, p99: r.p99, cpuUsPerHandshake: r.cpuUsPerHandshake, userUsPerHandshake: r.userUsPerHandshake, cpuBusy: r.cpuBusy, foreign: r.foreign, attempts: r.attempts, disturbed: (r.foreign ?? 0) > quietShare }
        : { error: r?.error ?? 'not run' })),
      rate: median(good.map((r) => r.rate)),
      spread: spread(good.map((r) => r.rate)),
      p50: median(good.map((r) => r.p50)),
      p99: median(good.map((r) => r.p99)),
      cpuUsPerHandshake: median(good.map((r) => r.cpuUsPerHandshake)),
      userUsPerHandshake: median(good.map((r) => r.userUsPerHandshake)),
      cpuBusy: median(good.map((r) => r.cpuBusy)),
      foreignMax: good.length ? Math.max(...good.map((r) => r.foreign ?? 0)) : NaN,
      logBytesPerHandshake: median(good.map((r) => r.logBytesPerHandshake ?? 0)),
    };
  });
  // Per round, kept by index (NaN where either failed) so the report can show them beside the
  // rounds; the target takes the finite ones.
  const raw = rows.find((r) => r.name === 'ws-raw');
  const fc = rows.find((r) => r.name === 'ws-fc-container');
  const ratio = (key) => Array.from({ length: rounds }, (_, i) => {
    const a = fc.rounds[i];
    const b = raw.rounds[i];
    return a.error || b.error || !(b[key] > 0) ? NaN : a[key] / b[key];
  });
  return { client: clientVersion(), rows, cpuRatio: ratio('cpuUsPerHandshake'), rateRatio: ratio('rate') };
}
