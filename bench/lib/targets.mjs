// The project's performance targets, checked on this run's numbers. Each is PASS, FAIL, TIE (the
// difference from the threshold is within the measurement's own noise) or N/A (not measured).
// Comparisons of two variants are judged on the median of their paired ratios (same round, or same
// cold-start run, so a pair shares the machine's state), with a distribution-free confidence
// interval of that median: PASS when the whole interval clears the threshold, TIE when it
// straddles it.
import { judge, judgeInterval, pairedRatios, medianInterval, median } from './stats.mjs';

/** Confidence asked of the interval for throughput rounds (5 rounds give min..max, 93.8%). */
export const ROUNDS_CONFIDENCE = 0.9;
/** Confidence asked of the interval for cold-start runs (the cold and image sections). */
export const RUNS_CONFIDENCE = 0.95;

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

/** A comparison target from paired ratios: median, interval, verdict and the noise column. */
function pairedTarget(id, title, paired, threshold, { higherIsBetter, strict = false, confidence, unit, valueText }) {
  const value = median(paired);
  const { lo, hi, coverage } = medianInterval(paired, confidence);
  const thresholdText = `${strict ? (higherIsBetter ? '> ' : '< ') : ''}${threshold}x`;
  return {
    id,
    title,
    verdict: judgeInterval(lo, hi, threshold, { higherIsBetter, strict }),
    value: valueText ? valueText(value) : fmtX(value),
    threshold: thresholdText,
    noise: `${lo.toFixed(3)}-${hi.toFixed(3)} (${(coverage * 100).toFixed(1)}% CI, ${paired.length} paired ${unit})`,
    raw: { value, lo, hi, coverage },
  };
}

/**
 * A throughput comparison of `a` over `b`: from the pairs section (both loaded at once) when it
 * ran, else from the throughput section's rounds (one after the other).
 */
function pairTarget(results, id, title, workload, a, b, threshold, strict = false) {
  const thresholdText = `${strict ? '> ' : ''}${threshold}x`;
  const pair = results.pairs?.find((p) => p.workload === workload && p.a === a && p.b === b);
  if (pair) {
    if (pair.failed) return { id, title, verdict: 'FAIL', value: `failed: ${(pair.errors[0] ?? '').slice(0, 120)}`, threshold: thresholdText, noise: '' };
    return pairedTarget(id, title, pair.rpsRatio.filter(Number.isFinite), threshold, {
      higherIsBetter: true,
      strict,
      confidence: ROUNDS_CONFIDENCE,
      unit: 'rounds, loaded at once',
      valueText: (value) => `${fmtX(value)} (req/s, both loaded at once; CPU per request ${fmtX(median(pair.cpuRatio.filter(Number.isFinite)))})`,
    });
  }
  const fc = throughputRow(results, workload, a);
  const base = throughputRow(results, workload, b);
  if (!results.throughput) return na(id, title, 'neither throughput nor pairs run');
  if (!fc || !base) return na(id, title, `${a} or ${b} not selected`);
  // A peer that failed is no verdict on fc-container (N/A); fc-container failing is a FAIL.
  if (fc.failed || base.failed) return { id, title, verdict: fc.failed || b !== 'fastify' ? 'FAIL' : 'N/A', value: `failed: ${(fc.errors[0] ?? base.errors[0] ?? '').slice(0, 120)}`, threshold: thresholdText, noise: '' };
  const paired = { hono: fc.vsHono, raw: fc.vsRaw, 'raw-fc': fc.vsRawFc, fastify: fc.vsFastify }[b]?.perRound ?? [];
  return pairedTarget(id, title, paired, threshold, { higherIsBetter: true, strict, confidence: ROUNDS_CONFIDENCE, unit: 'rounds' });
}

export function evaluateTargets(results) {
  const targets = [];

  for (const [workload, label] of [['invoke', 'POST /invoke'], ['get', 'GET /api/hello']]) {
    targets.push(pairTarget(results, `throughput-${workload}-vs-raw-fc`, `${label}: fc-container >= 0.95x raw-fc`, workload, 'fc-container', 'raw-fc', 0.95));
  }

  for (const [workload, label] of [['invoke', 'POST /invoke'], ['get', 'GET /api/hello']]) {
    targets.push(pairTarget(results, `throughput-${workload}-vs-fastify`, `${label}: fc-container ahead of fastify`, workload, 'fc-container', 'fastify', 1, true));
  }

  for (const [workload, label] of [['get', 'GET /api/hello'], ['invoke', 'POST /invoke']]) {
    // The same Hono app (bench/servers/hono-app.mjs) on fc-container's fetch handler, with FC's
    // markers and rules on, against @hono/node-server: the adapter Hono users compare us with.
    const id = `throughput-${workload}-hono-vs-node-server`;
    const title = `${label}: a Hono app on fc-container >= 1.00x on @hono/node-server`;
    targets.push(pairTarget(results, id, title, workload, 'hono-fc-container', 'hono', 1));
  }

  targets.push(pairTarget(results, 'throughput-get-fetch-vs-raw', 'GET /api/hello: fc-container-fetch >= 0.80x bare node:http', 'get', 'fc-container-fetch', 'raw', 0.8));

  {
    // One fc.invoke() of fc-container/testing against calling the handler directly: the median
    // per call in each fresh process, the median over rounds.
    const id = 'testing-overhead';
    const title = 'fc-container/testing: median invoke overhead <= 100 us over a direct call';
    const testing = results.testing;
    if (!testing) targets.push(na(id, title, 'testing not run'));
    else if (testing.failed) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(testing.rounds.find((r) => r.error)?.error ?? '').slice(0, 120)}`, threshold: '100 us', noise: '' });
    else {
      const overheads = testing.rounds.filter((r) => !r.error).map((r) => r.overheadUs);
      const noise = overheads.length > 1 ? (Math.max(...overheads) - Math.min(...overheads)) / 2 : 0;
      targets.push({ id, title, verdict: judge(testing.overheadUs, 100, { higherIsBetter: false, noise }), value: `${testing.overheadUs.toFixed(1)} us (${testing.clientUs.toFixed(1)} vs ${testing.directUs.toFixed(2)} us per call)`, threshold: '100 us', noise: `+-${noise.toFixed(1)} us (half the round-to-round range, ${overheads.length} rounds)`, raw: { value: testing.overheadUs, noise } });
    }
  }

  {
    // Judged on the server's CPU time per handshake, not on handshakes/s: one Node client on one
    // core cannot keep the server's core busy (see the section's core busy column), so the rate
    // is mostly the client's.
    const id = 'websocket-cpu';
    const title = 'WebSocket: fc-container server CPU per handshake <= 1.10x bare ws';
    const ws = results.websocket;
    const fc = ws?.rows.find((r) => r.name === 'ws-fc-container');
    const raw = ws?.rows.find((r) => r.name === 'ws-raw');
    if (!ws) targets.push(na(id, title, 'websocket not run'));
    else if (fc.failed || raw.failed) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.errors[0] ?? raw.errors[0] ?? '').slice(0, 120)}`, threshold: '1.1x', noise: '' });
    else {
      targets.push(pairedTarget(id, title, ws.cpuRatio.filter(Number.isFinite), 1.1, {
        higherIsBetter: false,
        confidence: ROUNDS_CONFIDENCE,
        unit: 'rounds',
        valueText: (value) => `${fmtX(value)} (paired per-round median; medians ${fc.cpuUsPerHandshake.toFixed(1)} vs ${raw.cpuUsPerHandshake.toFixed(1)} us)`,
      }));
    }
  }

  {
    // The gateway's CPU time per relayed message (via-gateway) over the container's ws server's
    // per echoed message (direct), paired per round: the relay should cost no more than the echo.
    const id = 'relay-cpu';
    const title = 'WebSocket relay: gateway CPU per message <= 1.0x the container\'s ws server';
    const relay = results.relay;
    const via = relay?.rows.find((r) => r.name === 'via-gateway');
    const direct = relay?.rows.find((r) => r.name === 'direct');
    if (!relay) targets.push(na(id, title, 'relay not run'));
    else if (via.failed || direct.failed) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(via.errors[0] ?? direct.errors[0] ?? '').slice(0, 120)}`, threshold: '1x', noise: '' });
    else {
      targets.push(pairedTarget(id, title, relay.cpuRatio.filter(Number.isFinite), 1, {
        higherIsBetter: false,
        confidence: ROUNDS_CONFIDENCE,
        unit: 'rounds',
        valueText: (value) => `${fmtX(value)} (paired per-round median; medians ${via.cpuUsPerMessage.toFixed(2)} vs ${direct.cpuUsPerMessage.toFixed(2)} us)`,
      }));
    }
  }

  {
    const id = 'cold-start';
    const title = 'Cold start: fc-container <= 1.08x raw';
    const fc = row(results, 'cold', 'fc-container');
    const raw = row(results, 'cold', 'raw');
    if (!results.cold) targets.push(na(id, title, 'cold start not run'));
    else if (!fc || !raw) targets.push(na(id, title, 'fc-container or raw not selected'));
    else if (fc.error || raw.error || !Number.isFinite(fc.median)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.error ?? raw.error ?? 'no samples').slice(0, 120)}`, threshold: '1.08x', noise: '' });
    else {
      const paired = pairedRatios(fc.samples, raw.samples);
      const ofMedians = fc.median / raw.median;
      targets.push(pairedTarget(id, title, paired, 1.08, {
        higherIsBetter: false,
        confidence: RUNS_CONFIDENCE,
        unit: 'runs',
        valueText: (value) => `${fmtX(value)} (paired per-run median; medians ${fc.median.toFixed(1)} vs ${raw.median.toFixed(1)} ms, ${fmtX(ofMedians)})`,
      }));
    }
  }

  {
    // Spawn to the first 200 of GET /api/hello, through the Hono app on each server.
    const id = 'cold-start-hono';
    const title = 'Cold start: a Hono app on fc-container <= on @hono/node-server';
    const fc = row(results, 'cold', 'hono-fc-container');
    const hono = row(results, 'cold', 'hono');
    if (!results.cold) targets.push(na(id, title, 'cold start not run'));
    else if (!fc || !hono) targets.push(na(id, title, 'hono-fc-container or hono not selected'));
    else if (fc.error || hono.error || !Number.isFinite(fc.median)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fc.error ?? hono.error ?? 'no samples').slice(0, 120)}`, threshold: '1x', noise: '' });
    else {
      const paired = pairedRatios(fc.samples, hono.samples);
      targets.push(pairedTarget(id, title, paired, 1, {
        higherIsBetter: false,
        confidence: RUNS_CONFIDENCE,
        unit: 'runs',
        valueText: (value) => `${fmtX(value)} (paired per-run median; medians ${fc.median.toFixed(1)} vs ${hono.median.toFixed(1)} ms)`,
      }));
    }
  }

  {
    // The README's Dockerfile CMD, from the installed tarball, against bare node:http from the
    // same folder: what a function's image pays at a cold start, the CLI's loading included.
    const id = 'image-cold-start';
    const title = 'Image cold start: the README\'s CMD <= 1.25x bare node:http';
    const cmd = results.image?.rows?.find((r) => r.name === 'readme-cmd');
    const bare = results.image?.rows?.find((r) => r.name === 'bare');
    if (!results.image) targets.push(na(id, title, 'image not run'));
    else if (results.image.error || !cmd || !bare) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(results.image.error ?? 'no rows').slice(0, 120)}`, threshold: '1.25x', noise: '' });
    else if (cmd.error || bare.error || !Number.isFinite(cmd.median) || !Number.isFinite(bare.median)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(cmd.error ?? bare.error ?? 'no samples').slice(0, 120)}`, threshold: '1.25x', noise: '' });
    else {
      const ofMedians = cmd.median / bare.median;
      targets.push(pairedTarget(id, title, results.image.paired['readme-cmd'], 1.25, {
        higherIsBetter: false,
        confidence: RUNS_CONFIDENCE,
        unit: 'runs',
        valueText: (value) => `${fmtX(value)} (paired per-run median; medians ${cmd.median.toFixed(1)} vs ${bare.median.toFixed(1)} ms, ${fmtX(ofMedians)})`,
      }));
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
    // Nothing touches Node's Request or Response at load: a fetch handler idles like a Node one.
    const id = 'idle-rss-fetch';
    const title = 'Idle RSS: fc-container-fetch <= fc-container + 3 MiB';
    const fetchRow = row(results, 'memory', 'fc-container-fetch');
    const fc = row(results, 'memory', 'fc-container');
    if (!results.memory) targets.push(na(id, title, 'memory not run'));
    else if (!fetchRow || !fc) targets.push(na(id, title, 'fc-container-fetch or fc-container not selected'));
    else if (!Number.isFinite(fetchRow.idleRss) || !Number.isFinite(fc.idleRss)) targets.push({ id, title, verdict: 'FAIL', value: `failed: ${(fetchRow.error ?? fc.error ?? '').slice(0, 120)}`, threshold: '+3 MiB', noise: '' });
    else {
      const value = (fetchRow.idleRss - fc.idleRss) / MIB;
      const range = (xs) => (xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / MIB : 0);
      const noise = Math.max(range(fetchRow.idleSamples), range(fc.idleSamples));
      targets.push({ id, title, verdict: judge(value, 3, { higherIsBetter: false, noise }), value: `${value >= 0 ? '+' : ''}${value.toFixed(2)} MiB (${(fetchRow.idleRss / MIB).toFixed(1)} vs ${(fc.idleRss / MIB).toFixed(1)} MiB)`, threshold: '+3 MiB', noise: noise ? `+-${noise.toFixed(2)} MiB (run-to-run range)` : 'n/a (one run)', raw: { value, noise } });
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
