// The project's performance targets, checked on this run's numbers. Each is PASS, FAIL, TIE (the
// difference from the threshold is within the measurement's own noise) or N/A (not measured).
import { judge, pairedRatios, medianHalfWidth, median } from './stats.mjs';

const MIB = 1024 * 1024;

function row(results, section, name) {
  return results[section]?.find?.((r) => r.name === name);
}

function throughputRow(results, workload, name) {
  return results.throughput?.find((t) => t.workload === workload)?.rows.find((r) => r.name === name);
}

function na(id, title, why) {
  return { id, title, verdict: 'N/A', value: why, threshold: '', noise: '' };
}

const fmtX = (v) => (Number.isFinite(v) ? `${v.toFixed(3)}x` : 'n/a');

export function evaluateTargets(results) {
  const targets = [];

  for (const [workload, label] of [['invoke', 'POST /invoke'], ['get', 'GET /api/hello']]) {
    const id = `throughput-${workload}-vs-raw-fc`;
    const title = `${label}: fc-container >= 0.95x raw-fc (median of paired per-round ratios)`;
    const fc = throughputRow(results, workload, 'fc-container');
    const rawFc = throughputRow(results, workload, 'raw-fc');
    if (!results.throughput) targets.push(na(id, title, 'throughput not run'));
    else if (!fc || !rawFc) targets.push(na(id, title, 'fc-container or raw-fc not selected'));
    else if (fc.failed || rawFc.failed) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.errors[0] ?? rawFc.errors[0] ?? '').slice(0, 120)}`, threshold: '0.95x', noise: '' });
    else {
      const value = fc.vsRawFc.median;
      const noise = value * Math.max(fc.spread, rawFc.spread);
      targets.push({ id, title, verdict: judge(value, 0.95, { higherIsBetter: true, noise }), value: fmtX(value), threshold: '0.95x', noise: `+-${noise.toFixed(3)} (max round spread)` , raw: { value, noise } });
    }
  }

  for (const [workload, label] of [['invoke', 'POST /invoke'], ['get', 'GET /api/hello']]) {
    const id = `throughput-${workload}-vs-fastify`;
    const title = `${label}: fc-container ahead of fastify (paired ratio > 1)`;
    const fc = throughputRow(results, workload, 'fc-container');
    const fastify = throughputRow(results, workload, 'fastify');
    if (!results.throughput) targets.push(na(id, title, 'throughput not run'));
    else if (!fc || !fastify) targets.push(na(id, title, 'fc-container or fastify not selected'));
    else if (fc.failed || fastify.failed) targets.push({ id, title, verdict: fc.failed ? 'FAIL' : 'N/A', value: `failed: ${(fc.errors[0] ?? fastify.errors[0] ?? '').slice(0, 120)}`, threshold: '> 1x', noise: '' });
    else {
      const value = fc.vsFastify.median;
      const noise = value * Math.max(fc.spread, fastify.spread);
      targets.push({ id, title, verdict: judge(value, 1, { higherIsBetter: true, noise, strict: true }), value: fmtX(value), threshold: '> 1x', noise: `+-${noise.toFixed(3)} (max round spread)`, raw: { value, noise } });
    }
  }

  {
    const id = 'cold-start';
    const title = 'Cold start: fc-container median <= 1.08x raw';
    const fc = row(results, 'cold', 'fc-container');
    const raw = row(results, 'cold', 'raw');
    if (!results.cold) targets.push(na(id, title, 'cold start not run'));
    else if (!fc || !raw) targets.push(na(id, title, 'fc-container or raw not selected'));
    else if (fc.error || raw.error || !Number.isFinite(fc.median)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.error ?? raw.error ?? 'no samples').slice(0, 120)}`, threshold: '1.08x', noise: '' });
    else {
      // Judged on the ratio of the medians; the noise is the 95% confidence interval of the median
      // of the per-run paired ratios (runs are interleaved, so a pair shares the machine's state).
      const value = fc.median / raw.median;
      const paired = pairedRatios(fc.samples, raw.samples);
      const noise = value * medianHalfWidth(paired);
      targets.push({ id, title, verdict: judge(value, 1.08, { higherIsBetter: false, noise }), value: `${fmtX(value)} (${fc.median.toFixed(1)} vs ${raw.median.toFixed(1)} ms; paired per-run median ${fmtX(median(paired))})`, threshold: '1.08x', noise: noise ? `+-${noise.toFixed(3)} (95% CI, paired runs)` : 'n/a (too few runs)', raw: { value, noise } });
    }
  }

  {
    const id = 'idle-rss';
    const title = 'Idle RSS: fc-container <= raw + 3 MiB';
    const fc = row(results, 'memory', 'fc-container');
    const raw = row(results, 'memory', 'raw');
    if (!results.memory) targets.push(na(id, title, 'memory not run'));
    else if (!fc || !raw) targets.push(na(id, title, 'fc-container or raw not selected'));
    else if (!Number.isFinite(fc.idleRss) || !Number.isFinite(raw.idleRss)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.error ?? raw.error ?? '').slice(0, 120)}`, threshold: '+3 MiB', noise: '' });
    else {
      const value = (fc.idleRss - raw.idleRss) / MIB;
      const range = (xs) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / MIB : 0);
      const noise = Math.max(range(fc.idleSamples), range(raw.idleSamples));
      targets.push({ id, title, verdict: judge(value, 3, { higherIsBetter: false, noise }), value: `${value >= 0 ? '+' : ''}${value.toFixed(2)} MiB (${(fc.idleRss / MIB).toFixed(1)} vs ${(raw.idleRss / MIB).toFixed(1)} MiB)`, threshold: '+3 MiB', noise: noise ? `+-${noise.toFixed(2)} MiB (run-to-run range)` : 'n/a (one run)', raw: { value, noise } });
    }
  }

  {
    const id = 'peak-rss-6mib';
    const title = '6 MiB events: fc-container peak RSS (VmHWM) <= 1.1x raw';
    const fc = row(results, 'memory', 'fc-container');
    const raw = row(results, 'memory', 'raw');
    if (!results.memory) targets.push(na(id, title, 'memory not run'));
    else if (!fc || !raw) targets.push(na(id, title, 'fc-container or raw not selected'));
    else if (!Number.isFinite(fc.peakHwm) || !Number.isFinite(raw.peakHwm)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.error ?? raw.error ?? '').slice(0, 120)}`, threshold: '1.1x', noise: '' });
    else {
      const value = fc.peakHwm / raw.peakHwm;
      const rel = (xs) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / Math.min(...xs) : 0);
      const noise = value * Math.max(rel(fc.peakSamples), rel(raw.peakSamples));
      targets.push({ id, title, verdict: judge(value, 1.1, { higherIsBetter: false, noise }), value: `${fmtX(value)} (${(fc.peakHwm / MIB).toFixed(1)} vs ${(raw.peakHwm / MIB).toFixed(1)} MiB)`, threshold: '1.1x', noise: noise ? `+-${noise.toFixed(3)} (run-to-run range)` : 'n/a (one run)', raw: { value, noise } });
    }
  }

  {
    const id = 'oversize-7mib';
    const title = '7 MiB event: fc-container answers 400 in < 10 ms (median)';
    const fc = row(results, 'oversize', 'fc-container');
    if (!results.oversize) targets.push(na(id, title, 'oversize not run'));
    else if (!fc) targets.push(na(id, title, 'fc-container not selected'));
    else if (fc.error || !fc.all400) targets.push({ id, title, verdict: 'FAIL', value: fc.error ? `failed: ${fc.error.slice(0, 120)}` : `statuses ${fc.statuses.join('/')}`, threshold: '400, < 10 ms', noise: '' });
    else targets.push({ id, title, verdict: fc.median < 10 ? 'PASS' : 'FAIL', value: `400 in ${fc.median.toFixed(2)} ms (p90 ${fc.p90.toFixed(2)} ms)`, threshold: '400, < 10 ms', noise: '' });
  }

  return targets;
}
