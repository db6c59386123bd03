// WebSocket handshakes: ws-raw (node:http handing upgrades to ws by hand) against ws-fc-container
// (the same app behind serve({ upgrade }), FC's rules and markers on each handshake). Every
// handshake is a fresh TCP connection, one message echoed, a close, from `connections` loops in
// ws-load.mjs (its own process, on the load core, a bare-TCP client light enough that the server
// core sets the rate). Fresh servers every round, both loaded at once by a client each
// (WS_SLICES); the server's CPU time per handshake comes from /proc, as its CPU time per request
// does in the throughput section.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ROOT, WS_VARIANTS } from './config.mjs';
import { launch, shutdown, describeExit } from './server.mjs';
import { readCpuTime, snapshotMachineCpu, foreignCpuSeconds, runCommand, waitForText } from './procs.mjs';
import { waitForQuiet } from './quiet.mjs';
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

/**
 * Measurements per round. In each, both servers are loaded at once, each by its own client: the
 * two servers share the server core and the two clients the load core, so the pair's CPU times
 * per handshake are taken over the same seconds on the same cores. On this shared VM a core's
 * speed drifts over seconds (one server alone measured 108 to 154 us per handshake across six
 * runs); back-to-back runs took that drift as the variants' difference, one-second slices
 * alternating between them still gave per-round ratios from 1.02 to 1.24, and at once two copies
 * of the same server measure within 2% of each other.
 */
export const WS_SLICES = 2;

/** One measurement: both clients at once, each server's CPU time and handshakes over it, and the machine's other load. */
async function measureTogether(ctx, procs, seconds) {
  await waitForQuiet(ctx);
  const machineBefore = snapshotMachineCpu();
  const before = procs.map((proc) => readCpuTime(proc.pid));
  // Each client exits once its last connection has closed, so its server's work for every
  // handshake counted is done when the CPU times are read again.
  const runs = await Promise.allSettled(procs.map((proc) => runClient(ctx, proc.port, seconds)));
  const after = procs.map((proc) => readCpuTime(proc.pid));
  const machineAfter = snapshotMachineCpu();
  const cpu = procs.map((_, i) => after[i].user - before[i].user + after[i].system - before[i].system);
  const seconds_ = Math.max(...runs.map((r) => (r.status === 'fulfilled' ? r.value.seconds : 0)));
  const foreign = foreignCpuSeconds(machineBefore, machineAfter, cpu.reduce((a, b) => a + b, 0)) / (seconds_ * availableParallelism());
  return runs.map((r, i) => (r.status === 'rejected'
    ? { error: r.reason.message.split('\n')[0] }
    : { ...r.value, cpu: cpu[i], user: after[i].user - before[i].user, foreign }));
}

/** A variant's round from its slices: totals, and CPU per handshake over all of them. */
function combineSlices(slices) {
  const sum = (key) => slices.reduce((a, r) => a + r[key], 0);
  const handshakes = sum('handshakes');
  const seconds = sum('seconds');
  const errors = sum('errors');
  const r = {
    handshakes, errors, seconds,
    firstError: slices.find((x) => x.firstError)?.firstError,
    rate: handshakes / seconds,
    cpuUsPerHandshake: handshakes ? (sum('cpu') * 1e6) / handshakes : NaN,
    userUsPerHandshake: handshakes ? (sum('user') * 1e6) / handshakes : NaN,
    cpuBusy: sum('cpu') / seconds,
    p50: median(slices.map((x) => x.p50)),
    p99: median(slices.map((x) => x.p99)),
    foreign: Math.max(...slices.map((x) => x.foreign)),
    attempts: 1,
  };
  const attempted = handshakes + errors;
  if (handshakes === 0) r.error = `no handshake completed${r.firstError ? `: ${r.firstError}` : ''}`;
  else if (errors > MAX_FAILED_SHARE * attempted) r.error = `${errors} of ${attempted} connections failed: ${r.firstError}`;
  return r;
}

/**
 * One round: both servers started, each checked with one `ws` echo, both warmed up and measured
 * at once ({@link WS_SLICES} times), then stopped. Returns a result per variant.
 */
async function runRound(ctx, round) {
  const { config } = ctx;
  const procs = [];
  const results = {};
  const handshakes = {};
  try {
    // The order (launch, warm-up and the clients' start) alternates round by round, so neither
    // variant always goes first. Two copies of one server measured 1.01x (0.994-1.051) against
    // each other in a fixed order, 0.98x (0.969-1.033) alternating: no bias either way shown.
    for (const variant of round % 2 === 0 ? WS_VARIANTS : [...WS_VARIANTS].reverse()) {
      const proc = await launch(ctx, variant, `ws${round}`);
      procs.push(proc);
      handshakes[variant.name] = 0;
      try {
        await waitForText(proc.logPath, `ready ${variant.name}`, { timeoutMs: 15_000, proc });
        await roundTrip(`ws://127.0.0.1:${proc.port}/`, { timeoutMs: 5000 });
        handshakes[variant.name]++;
      } catch (error) {
        results[variant.name] = { error: `did not echo: ${error.message.split('\n')[0]}${proc.isDead() ? `; ${describeExit(proc)}` : ''}` };
      }
    }
    const live = procs.filter((proc) => !results[proc.variant.name]);
    if (config.warmup > 0) {
      const warmed = await Promise.all(live.map((proc) => runClient(ctx, proc.port, config.warmup)));
      warmed.forEach((r, i) => { handshakes[live[i].variant.name] += r.handshakes; });
    }
    const slices = Object.fromEntries(live.map((proc) => [proc.variant.name, []]));
    for (let k = 0; k < WS_SLICES && live.every((proc) => !proc.isDead()); k++) {
      const measured = await measureTogether(ctx, live, config.duration);
      measured.forEach((r, i) => {
        const { name } = live[i].variant;
        if (r.error) results[name] ??= { error: r.error };
        else {
          handshakes[name] += r.handshakes;
          slices[name].push(r);
        }
      });
    }
    for (const proc of live) {
      if (proc.isDead()) results[proc.variant.name] = { error: describeExit(proc) };
      else results[proc.variant.name] ??= combineSlices(slices[proc.variant.name]);
    }
  } finally {
    for (const proc of procs) {
      const logBytes = await shutdown(ctx, proc);
      const r = results[proc.variant.name];
      // Markers: a Start and an End line per connection (the check's and the warm-up's included).
      if (r && !r.error) r.logBytesPerHandshake = handshakes[proc.variant.name] ? logBytes / handshakes[proc.variant.name] : 0;
    }
  }
  return results;
}

export async function measureWebSocket(ctx) {
  const { config } = ctx;
  const perRound = Object.fromEntries(WS_VARIANTS.map((v) => [v.name, []]));
  for (let round = 0; round < config.rounds; round++) {
    const results = await runRound(ctx, round);
    for (const variant of WS_VARIANTS) {
      const r = results[variant.name] ?? { error: 'not run' };
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
