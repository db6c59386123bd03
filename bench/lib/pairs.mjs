// Head-to-head pairs: the two variants a target compares, loaded at once. Each round starts both
// servers (pinned to the server core, where they share it) and runs a load generator against each
// at the same time (both on the load core), workload by workload, so the pair's requests per second
// and CPU time per request are taken over the same seconds on the same cores. On this shared VM
// a core's speed drifts over seconds (a variant's rounds differed by 28-42%): the throughput
// section's runs, a few seconds apart, put the Hono pair's GET at 1.02-1.07x, where measured at
// once it is 0.96x. With the core split between the two (CFS gives each busy process an equal
// share), a server's requests per second are its efficiency; their ratio is the one the targets
// judge.
import { availableParallelism } from 'node:os';
import { pollInitialize, checkContract } from './client.mjs';
import { VARIANTS } from './config.mjs';
import { runLoad } from './load.mjs';
import { readCpuTime, snapshotMachineCpu, foreignCpuSeconds } from './procs.mjs';
import { waitForQuiet } from './quiet.mjs';
import { launch, shutdown, describeExit } from './server.mjs';
import { median } from './stats.mjs';
import { workloads } from './throughput.mjs';

/**
 * The pairs, `a` over `b`: every throughput target's (the Node-style handler against FC's work
 * done by hand on bare node:http and against Fastify, Hono on fc-container against
 * @hono/node-server, the Fetch handler against bare node:http).
 */
export const PAIRS = [
  { name: 'raw-fc', a: 'fc-container', b: 'raw-fc' },
  { name: 'fastify', a: 'fc-container', b: 'fastify' },
  { name: 'hono', a: 'hono-fc-container', b: 'hono' },
  { name: 'fetch-vs-raw', a: 'fc-container-fetch', b: 'raw' },
];

const variant = (name) => {
  const found = VARIANTS.find((v) => v.name === name);
  if (!found) throw new Error(`unknown variant in BENCH_PAIRS: ${name}`);
  return found;
};

/** The pairs to run: BENCH_PAIRS=a/b,c/d (say raw/raw, to see the method's own noise), else {@link PAIRS}. */
function pairsToRun(env = process.env) {
  if (!env.BENCH_PAIRS) return PAIRS;
  return env.BENCH_PAIRS.split(',').map((text) => {
    const [a, b] = text.split('/').map((s) => s.trim());
    variant(a);
    variant(b);
    return { name: `${a}/${b}`, a, b };
  });
}

/** Both servers under load at once for `seconds`: each one's load result with its CPU time per request. */
async function measureTogether(ctx, procs, w, seconds) {
  const { config } = ctx;
  await waitForQuiet(ctx);
  const machineBefore = snapshotMachineCpu();
  const before = procs.map((proc) => readCpuTime(proc.pid));
  const loads = await Promise.all(procs.map((proc) => runLoad(ctx.loadgen, {
    url: `http://127.0.0.1:${proc.port}${w.path}`, workload: w, seconds, connections: config.connections, core: ctx.loadCore, tmpDir: ctx.tmpDir,
  })));
  const after = procs.map((proc) => readCpuTime(proc.pid));
  const machineAfter = snapshotMachineCpu();
  const cpu = procs.map((_, i) => after[i].user - before[i].user + after[i].system - before[i].system);
  const elapsed = Math.max(...loads.map((r) => r.seconds));
  const foreign = foreignCpuSeconds(machineBefore, machineAfter, cpu[0] + cpu[1]) / (elapsed * availableParallelism());
  return loads.map((r, i) => ({
    ...r,
    cpuUsPerRequest: r.requests ? (cpu[i] * 1e6) / r.requests : NaN,
    cpuBusy: cpu[i] / r.seconds,
    foreign,
    error: r.requests === 0 ? 'no request completed' : r.non2xx > 0.01 * r.requests ? `${r.non2xx} of ${r.requests} responses not 2xx` : undefined,
  }));
}

/** One round of one pair: start both, check both, warm both up, measure each workload at once, stop. */
async function runRound(ctx, pair, round, loads) {
  const { config } = ctx;
  const procs = [];
  const out = {};
  try {
    for (const name of [pair.a, pair.b]) procs.push(await launch(ctx, variant(name), `pair${round}`));
    for (const proc of procs) {
      await pollInitialize(proc.port, { everyMs: 5, timeoutMs: 15_000, isDead: proc.isDead })
        .catch((error) => { throw new Error(`${proc.variant.name} did not start: ${error.message}${proc.isDead() ? `; ${describeExit(proc)}` : ''}`); });
      const checks = await checkContract(proc.port);
      const failed = loads.map((w) => checks[w.check]).find(Boolean);
      if (failed) throw new Error(`${proc.variant.name}: ${failed}`);
    }
    for (const w of loads) {
      if (config.warmup > 0) await measureTogether(ctx, procs, w, config.warmup);
      const [a, b] = await measureTogether(ctx, procs, w, config.duration);
      const dead = procs.find((proc) => proc.isDead());
      out[w.name] = dead ? { error: `${dead.variant.name} ${describeExit(dead)}` } : a.error || b.error ? { error: a.error ?? b.error } : { a, b };
    }
  } catch (error) {
    for (const w of loads) out[w.name] ??= { error: error.message.split('\n')[0] };
  } finally {
    for (const proc of procs) await shutdown(ctx, proc);
  }
  return out;
}

export async function measurePairs(ctx) {
  const { config } = ctx;
  const loads = workloads(config);
  const results = [];
  for (const pair of pairsToRun()) {
    const rounds = [];
    for (let round = 0; round < config.rounds; round++) {
      const r = await runRound(ctx, pair, round, loads);
      rounds.push(r);
      ctx.progress(`pairs: ${pair.a} / ${pair.b} round ${round + 1}/${config.rounds}: ${loads.map((w) => (r[w.name].error
        ? `${w.name} FAILED (${r[w.name].error.slice(0, 120)})`
        : `${w.name} ${Math.round(r[w.name].a.rps)} / ${Math.round(r[w.name].b.rps)} req/s`)).join(', ')}`);
    }
    for (const w of loads) {
      const good = rounds.map((r) => r[w.name]);
      const ratio = (key) => good.map((r) => (r.error || !(r.b[key] > 0) ? NaN : r.a[key] / r.b[key]));
      const ok = good.filter((r) => !r.error);
      results.push({
        pair: pair.name, a: pair.a, b: pair.b, workload: w.name, title: w.title,
        errors: [...new Set(good.filter((r) => r.error).map((r) => r.error))],
        failed: ok.length === 0,
        rps: { a: median(ok.map((r) => r.a.rps)), b: median(ok.map((r) => r.b.rps)) },
        cpuUsPerRequest: { a: median(ok.map((r) => r.a.cpuUsPerRequest)), b: median(ok.map((r) => r.b.cpuUsPerRequest)) },
        cpuBusy: { a: median(ok.map((r) => r.a.cpuBusy)), b: median(ok.map((r) => r.b.cpuBusy)) },
        foreignMax: ok.length ? Math.max(...ok.map((r) => r.a.foreign ?? 0)) : NaN,
        rpsRatio: ratio('rps'),
        cpuRatio: ratio('cpuUsPerRequest'),
      });
    }
  }
  return results;
}
