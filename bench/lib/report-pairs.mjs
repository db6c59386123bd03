// The pairs section's part of the report: per pair and workload, both variants' req/s and CPU per
// request with the two loaded at once, then the paired per-round ratios.
import { ROUNDS_CONFIDENCE } from './targets.mjs';
import { median, medianInterval } from './stats.mjs';
import { int, ms, x, pct, table } from './format.mjs';

const perRound = (ratios) => ratios.map((v) => (Number.isFinite(v) ? v.toFixed(3) : 'fail')).join(', ') || 'n/a';

export function renderPairs(out, config, pairs) {
  out.push(`## Pairs loaded at once (${config.connections} connections each, ${config.rounds} round(s))`);
  out.push('');
  out.push(table(
    ['pair (a / b)', 'workload', 'req/s a', 'req/s b', 'CPU us/req a', 'CPU us/req b', 'core busy a', 'core busy b', 'other load (max)'],
    pairs.map((p) => (p.failed
      ? [`${p.a} / ${p.b}`, p.workload, `FAILED: ${p.errors.join('; ').slice(0, 200)}`, '', '', '', '', '', '']
      : [`${p.a} / ${p.b}`, p.workload, int(p.rps.a), int(p.rps.b), ms(p.cpuUsPerRequest.a, 1), ms(p.cpuUsPerRequest.b, 1), pct(p.cpuBusy.a), pct(p.cpuBusy.b), pct(p.foreignMax)])),
  ));
  out.push('');
  for (const p of pairs.filter((q) => !q.failed)) {
    const rps = p.rpsRatio.filter(Number.isFinite);
    const { lo, hi, coverage } = medianInterval(rps, ROUNDS_CONFIDENCE);
    out.push(`${p.a} / ${p.b}, ${p.workload}: req/s ${x(median(rps))} median (${ms(lo, 3)}-${ms(hi, 3)}, ${(coverage * 100).toFixed(1)}% CI; per round ${perRound(p.rpsRatio)}); CPU per request ${x(median(p.cpuRatio.filter(Number.isFinite)))} median (per round ${perRound(p.cpuRatio)}).`);
  }
  out.push('');
  out.push(`Each round starts both variants of a pair (fresh processes, both pinned to the server core, where they share it) and loads both at once, a load generator each (both on the load core), for ${config.warmup} s of warm-up and ${config.duration} s per workload: the two are measured over the same seconds on the same cores, so the machine's drift cancels in their ratio. With the server core split between two busy processes, each gets an equal share, and a server's req/s is its efficiency. CPU us/req = the server's CPU time (user + system, /proc) over the requests it answered; core busy = its CPU time / wall time (about 50% each when the server core is the limit).`);
  out.push('');
}
