#!/usr/bin/env node
// fc-container's benchmark suite. `npm run bench` (after `npm run build`); BENCH_SMOKE=1 for a
// quick end-to-end pass. Settings: see bench/lib/config.mjs. Prints a markdown report and writes
// it to bench/results/latest.md (with the raw numbers in latest.json).
//
// Import it to run it from code: `const { markdown, targets } = await runBench({ smoke: true })`.
import { mkdirSync, writeFileSync, existsSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, release, type as osType } from 'node:os';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { resolveConfig, RESULTS_DIR, ROOT } from './lib/config.mjs';
import { installCleanup, onExit, killAllChildren, canPin, pinSelf, snapshotMachineCpu, foreignCpuSeconds } from './lib/procs.mjs';
import { detectLoadGenerator } from './lib/load.mjs';
import { measureImports, measurePack } from './lib/footprint.mjs';
import { measureColdStart } from './lib/coldstart.mjs';
import { measureImage } from './lib/image.mjs';
import { measureMemory, measureOversize } from './lib/memory.mjs';
import { measureThroughput } from './lib/throughput.mjs';
import { measureWebSocket } from './lib/websocket.mjs';
import { measureTesting } from './lib/testing.mjs';
import { measureRelay } from './lib/relay.mjs';
import { measurePairs } from './lib/pairs.mjs';
import { evaluateTargets } from './lib/targets.mjs';
import { renderReport } from './lib/report.mjs';

export { resolveConfig } from './lib/config.mjs';

function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the suite. `overrides` take the keys of resolveConfig()'s result (smoke, duration, rounds,
 * variants, sections, write, quiet, ...). Resolves to { markdown, results, targets, config, machine }.
 */
export async function runBench(overrides = {}) {
  const started = performance.now();
  const config = resolveConfig(overrides);
  const quiet = overrides.quiet ?? false;
  const progress = (line) => { if (!quiet) process.stderr.write(`bench: ${line}\n`); };
  installCleanup();

  // The image section packs dist/ as it is (--ignore-scripts: no build of its own).
  const needsDist = ['import', 'image', 'websocket', 'testing'].some((s) => config.sections.includes(s)) || config.variants.some((v) => v.name.startsWith('fc-container'));
  if (needsDist && !existsSync(join(ROOT, 'dist', 'index.js'))) {
    throw new Error('dist/index.js is missing: run `npm run build` first');
  }
  if (config.sections.includes('relay') && !existsSync(join(ROOT, 'dist', 'emulator.js'))) {
    throw new Error('dist/emulator.js is missing (the relay section\'s gateway): run `npm run build` first');
  }

  const runDir = join(RESULTS_DIR, `run-${process.pid}`);
  const logDir = join(runDir, 'logs');
  const tmpDir = join(runDir, 'tmp');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const removeRunDir = () => rmSync(config.keepLogs ? tmpDir : runDir, { recursive: true, force: true });
  const forgetRunDir = onExit(removeRunDir);

  const cores = availableParallelism();
  const pin = canPin(cores) && pinSelf(0);
  const ctx = {
    config,
    logDir,
    tmpDir,
    serverCore: pin ? config.serverCore : null,
    loadCore: pin ? config.loadCore : null,
    loadgen: null,
    progress,
    patienceMs: config.patienceMs,
    quietWaitedMs: 0,
    retried: 0,
  };
  const results = { notes: [], otherLoad: {} };
  // Runs a section and records the CPU share other processes on the machine took meanwhile.
  const section = async (name, fn) => {
    const before = snapshotMachineCpu();
    const t0 = performance.now();
    const value = await fn();
    const seconds = (performance.now() - t0) / 1000;
    results.otherLoad[name] = foreignCpuSeconds(before, snapshotMachineCpu(), 0) / (seconds * cores);
    return value;
  };
  if (config.smoke) results.notes.push('Smoke mode: 1 s measurements without warm-up, one round, few runs. It shows the scripts work end to end; its numbers and verdicts mean little (cold JIT, no spread).');
  if (!pin) results.notes.push(`Not pinned (taskset ${canPin(cores) ? 'failed' : `unavailable or only ${cores} core(s)`}): the server and the load generator share cores, numbers are noisier.`);

  try {
    if (config.sections.includes('throughput') || config.sections.includes('pairs')) {
      ctx.loadgen = detectLoadGenerator(ROOT, config.loadgen);
    }
    const machine = {
      cpu: cpuModel(),
      cores,
      node: process.version,
      os: `${osType()} ${release()}`,
      loadgen: ctx.loadgen ? `${ctx.loadgen.version}${ctx.loadgen.kind === 'wrk' ? ' (1 thread)' : ' (own process)'}` : 'not used',
      pinning: pin ? `server on core ${config.serverCore}, load generator and orchestrator on core ${config.loadCore} (taskset)` : 'none',
      date: new Date().toISOString(),
    };

    if (config.sections.includes('import')) {
      progress('import cost and package size');
      results.imports = await section('import', () => measureImports(ctx));
      results.pack = await measurePack();
    }
    if (config.sections.includes('cold')) {
      progress('cold start');
      results.cold = await section('cold', () => measureColdStart(ctx));
    }
    if (config.sections.includes('image')) {
      progress('image: pack, install, cold start of the installed package');
      results.image = await section('image', () => measureImage(ctx));
    }
    if (config.sections.includes('memory')) {
      progress('memory');
      results.memory = await section('memory', () => measureMemory(ctx));
    }
    if (config.sections.includes('oversize')) {
      progress('oversize');
      results.oversize = await section('oversize', () => measureOversize(ctx));
    }
    if (config.sections.includes('throughput')) {
      progress(`throughput (${ctx.loadgen.version})`);
      results.throughput = await section('throughput', () => measureThroughput(ctx));
      for (const t of results.throughput) {
        for (const r of t.rows) if (r.failed) results.notes.push(`${r.name} failed ${t.title}: ${r.errors.join('; ').slice(0, 300)}`);
      }
    }
    if (config.sections.includes('pairs')) {
      progress(`pairs: the targets' variants loaded at once (${ctx.loadgen.version})`);
      results.pairs = await section('pairs', () => measurePairs(ctx));
      for (const p of results.pairs) if (p.failed) results.notes.push(`${p.a} / ${p.b} failed ${p.title}: ${p.errors.join('; ').slice(0, 300)}`);
    }
    if (config.sections.includes('websocket')) {
      progress('websocket handshakes');
      results.websocket = await section('websocket', () => measureWebSocket(ctx));
      for (const r of results.websocket.rows) if (r.failed) results.notes.push(`${r.name} failed the WebSocket handshakes: ${r.errors.join('; ').slice(0, 300)}`);
    }
    if (config.sections.includes('testing')) {
      progress('testing: fc-container/testing invokes against direct handler calls');
      results.testing = await section('testing', () => measureTesting(ctx));
    }
    if (config.sections.includes('relay')) {
      progress('relay: WebSocket echoes through the gateway and straight to the container');
      results.relay = await section('relay', () => measureRelay(ctx));
      for (const r of results.relay.rows) if (r.failed) results.notes.push(`${r.name} failed the WebSocket relay: ${r.errors.join('; ').slice(0, 300)}`);
    }

    results.quietWaitedMs = ctx.quietWaitedMs;
    results.retried = ctx.retried;
    const targets = evaluateTargets(results);
    const markdown = renderReport({ machine, config, results, targets, elapsedMs: performance.now() - started });
    if (config.write) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      writeFileSync(join(RESULTS_DIR, config.smoke ? 'smoke.md' : 'latest.md'), markdown + '\n');
      writeFileSync(join(RESULTS_DIR, config.smoke ? 'smoke.json' : 'latest.json'), JSON.stringify({ machine, config, results, targets }, null, 2) + '\n');
    }
    return { markdown, results, targets, config, machine };
  } finally {
    killAllChildren();
    removeRunDir();
    forgetRunDir();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { markdown, targets } = await runBench();
    process.stdout.write(markdown + '\n');
    if (process.env.BENCH_STRICT === '1' && targets.some((t) => t.verdict === 'FAIL')) process.exitCode = 1;
  } catch (error) {
    killAllChildren();
    process.stderr.write(`bench: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  }
}
