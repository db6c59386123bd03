// Throughput and latency: POST /invoke with a 1 KiB event and GET /api/hello?name=fc, N
// connections, a fresh server per variant per round, rounds interleaved across variants.
import { pollInitialize, checkContract } from './client.mjs';
import { launch, shutdown, describeExit } from './server.mjs';
import { waitForQuiet, measureUndisturbed } from './quiet.mjs';
import { RUN_ORDER } from './config.mjs';
import { runLoad } from './load.mjs';
import { readCpuTime, snapshotMachineCpu, foreignCpuSeconds } from './procs.mjs';
import { availableParallelism } from 'node:os';
import { median, spread, pairedRatios } from './stats.mjs';

/** The two workloads. The body is printable ASCII, so every load generator carries it as is. */
export function workloads(config) {
  const pattern = 'fc-container bench event 0123456789 abcdefghijklmnopqrstuvwxyz ';
  const body = Buffer.from(pattern.repeat(Math.ceil(config.invokeBody / pattern.length)).slice(0, config.invokeBody), 'latin1');
  return [
    { name: 'invoke', title: 'POST /invoke, 1 KiB event', method: 'POST', path: '/invoke', check: 'invoke', headers: { 'content-type': 'application/octet-stream' }, body },
    { name: 'get', title: 'GET /api/hello?name=fc', method: 'GET', path: '/api/hello?name=fc', check: 'get' },
  ];
}

/** Runs one round for one variant: start, check, warm up, measure each workload, stop. */
async function runOne(ctx, variant, round, loads) {
  const { config } = ctx;
  const out = {};
  const proc = await launch(ctx, variant, `tp${round}`);
  let logBytes = 0;
  let requests = 0;
  try {
    try {
      await pollInitialize(proc.port, { everyMs: 5, timeoutMs: 15_000, isDead: proc.isDead });
    } catch (error) {
      for (const w of loads) out[w.name] = { error: `did not start: ${error.message}${proc.isDead() ? `; ${describeExit(proc)}` : ''}` };
      return out;
    }
    const checks = await checkContract(proc.port);
    const usable = loads.filter((w) => {
      if (checks[w.check]) out[w.name] = { error: checks[w.check] };
      return !checks[w.check];
    });
    const url = (w) => `http://127.0.0.1:${proc.port}${w.path}`;
    if (config.warmup > 0) {
      for (const w of usable) {
        const warm = await runLoad(ctx.loadgen, { url: url(w), workload: w, seconds: config.warmup, connections: config.connections, core: ctx.loadCore, tmpDir: ctx.tmpDir });
        requests += warm.requests;
      }
    }
    for (const w of usable) {
      // A measurement disturbed by other work on the machine (another process took more than
      // config.quietShare of the cores) is taken again, up to config.retries times, after a pause;
      // the least disturbed attempt is kept.
      out[w.name] = await measureUndisturbed(ctx, {
        label: `throughput: ${proc.variant.name} ${w.name}`,
        measure: () => measureOnce(ctx, proc, url(w), w),
        isDead: proc.isDead,
        onAttempt: (r) => { if (Number.isFinite(r.requests)) requests += r.requests; },
      });
      if (proc.isDead()) {
        for (const rest of usable) out[rest.name] ??= { error: describeExit(proc) };
        break;
      }
    }
  } finally {
    logBytes = await shutdown(ctx, proc);
  }
  for (const w of loads) if (out[w.name] && !out[w.name].error) out[w.name].logBytesPerRequest = requests ? logBytes / requests : 0;
  return out;
}

/** One measurement, with the server's CPU time and the machine's other load over it. */
async function measureOnce(ctx, proc, url, w) {
  const { config } = ctx;
  await waitForQuiet(ctx);
  const machineBefore = snapshotMachineCpu();
  const cpuBefore = readCpuTime(proc.pid);
  const r = await runLoad(ctx.loadgen, { url, workload: w, seconds: config.duration, connections: config.connections, core: ctx.loadCore, tmpDir: ctx.tmpDir });
  const cpuAfter = readCpuTime(proc.pid);
  const machineAfter = snapshotMachineCpu();
  // The server's own CPU time per request (user + system), and how busy its core was.
  const cpu = cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system;
  r.cpuUsPerRequest = r.requests ? (cpu * 1e6) / r.requests : NaN;
  r.userUsPerRequest = r.requests ? ((cpuAfter.user - cpuBefore.user) * 1e6) / r.requests : NaN;
  r.cpuBusy = cpu / r.seconds;
  // CPU other processes on the machine took meanwhile, as a share of all cores.
  r.foreign = foreignCpuSeconds(machineBefore, machineAfter, cpu) / (r.seconds * availableParallelism());
  if (r.requests === 0) r.error = 'no request completed';
  else if (r.non2xx > 0.01 * r.requests) r.error = `${r.non2xx} of ${r.requests} responses not 2xx`;
  return r;
}

export async function measureThroughput(ctx) {
  const { config } = ctx;
  const loads = workloads(config);
  const variants = config.variants;
  // perRound[workload][variant] = array indexed by round (undefined where it failed).
  const perRound = Object.fromEntries(loads.map((w) => [w.name, Object.fromEntries(variants.map((v) => [v.name, []]))]));

  // Warm the machine (CPU clocks, page cache, the load generator) on a throwaway server.
  if (config.warmup > 0) {
    const first = variants[0];
    ctx.progress(`throughput: machine warm-up on ${first.name}`);
    await runOne(ctx, first, 'warm', loads.slice(0, 1));
  }

  const forward = [...variants].sort((a, b) => RUN_ORDER.indexOf(a.name) - RUN_ORDER.indexOf(b.name));
  const backward = [...forward].reverse();
  for (let round = 0; round < config.rounds; round++) {
    const order = round % 2 === 0 ? forward : backward;
    for (const variant of order) {
      const result = await runOne(ctx, variant, round, loads);
      for (const w of loads) perRound[w.name][variant.name][round] = result[w.name];
      ctx.progress(`throughput: round ${round + 1}/${config.rounds} ${variant.name}: ${loads.map((w) => {
        const r = result[w.name];
        return `${w.name} ${r?.error ? `FAILED (${r.error.slice(0, 120)})` : `${Math.round(r.rps)} req/s p99 ${r.p99.toFixed(2)} ms`}`;
      }).join(', ')}`);
    }
  }

  return loads.map((w) => summarize(w, variants, perRound[w.name], config.rounds, config.quietShare));
}

function summarize(workload, variants, byVariant, rounds, quietShare) {
  const rpsOf = (name) => Array.from({ length: rounds }, (_, i) => {
    const r = byVariant[name]?.[i];
    return r && !r.error ? r.rps : NaN;
  });
  const rows = variants.map((v) => {
    const results = Array.from({ length: rounds }, (_, i) => byVariant[v.name][i]);
    const good = results.filter((r) => r && !r.error);
    const rps = rpsOf(v.name);
    const errors = [...new Set(results.filter((r) => r?.error).map((r) => r.error))];
    const ratioTo = (base) => {
      if (!byVariant[base]) return { median: NaN, spread: 0, perRound: [] };
      const paired = pairedRatios(rps, rpsOf(base)).filter(Number.isFinite);
      return { median: median(paired), spread: spread(paired), perRound: paired };
    };
    return {
      name: v.name,
      ok: good.length > 0,
      failed: good.length === 0,
      errors,
      rounds: results.map((r) => (r && !r.error ? { rps: r.rps, p99: r.p99, p50: r.p50, requests: r.requests, non2xx: r.non2xx, errors: r.errors, cpuUsPerRequest: r.cpuUsPerRequest, userUsPerRequest: r.userUsPerRequest, cpuBusy: r.cpuBusy, foreign: r.foreign, attempts: r.attempts, disturbed: (r.foreign ?? 0) > quietShare } : { error: r?.error ?? 'not run' })),
      rps: median(good.map((r) => r.rps)),
      p99: median(good.map((r) => r.p99)),
      p50: median(good.map((r) => r.p50)),
      spread: spread(good.map((r) => r.rps)),
      logBytesPerRequest: median(good.map((r) => r.logBytesPerRequest ?? 0)),
      cpuUsPerRequest: median(good.map((r) => r.cpuUsPerRequest)),
      userUsPerRequest: median(good.map((r) => r.userUsPerRequest)),
      cpuBusy: median(good.map((r) => r.cpuBusy)),
      foreignMax: good.length ? Math.max(...good.map((r) => r.foreign ?? 0)) : NaN,
      disturbedRounds: good.filter((r) => (r.foreign ?? 0) > quietShare).length,
      retries: results.reduce((sum, r) => sum + Math.max(0, (r?.attempts ?? 1) - 1), 0),
      vsRaw: ratioTo('raw'),
      vsRawFc: ratioTo('raw-fc'),
      vsFastify: ratioTo('fastify'),
      vsHono: ratioTo('hono'),
    };
  });
  return { workload: workload.name, title: workload.title, rows };
}
