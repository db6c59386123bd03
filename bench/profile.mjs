#!/usr/bin/env node
// CPU profile of one variant under load: `node bench/profile.mjs [variant] [invoke|get] [seconds]
// [--vs other-variant]` (defaults: fc-container invoke 5). Starts the server pinned to core 1 with --cpu-prof, warms it
// up, profiles it under the same load as the throughput test, and prints the functions with the
// most self time (overall, and those in dist/ when the variant uses fc-container). The profile is
// written under bench/results/profiles/. With --vs, profiles the other variant too and prints the
// per-request differences in self time.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { resolveConfig, RESULTS_DIR, ROOT, BENCH_DIR } from './lib/config.mjs';
import { installCleanup, killAllChildren, canPin, pinSelf, stopProcess } from './lib/procs.mjs';
import { pollInitialize, checkContract } from './lib/client.mjs';
import { detectLoadGenerator, runLoad } from './lib/load.mjs';
import { launch } from './lib/server.mjs';
import { workloads } from './lib/throughput.mjs';

/** Self time per function from a .cpuprofile, highest first: [{ name, where, ms, share }]. */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000; // a sample's time is the delta to the next one
    const node = byId.get(profile.samples[i]);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}\u0000${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  return [...self.entries()]
    .map(([key, ms]) => {
      const [name, where] = key.split('\u0000');
      return { name, where, ms, share: ms / total };
    })
    .sort((a, b) => b.ms - a.ms);
}

export async function profileVariant({ variant = 'fc-container', workload = 'invoke', seconds = 5, top = 25 } = {}) {
  installCleanup();
  const config = resolveConfig({ variants: [variant], warmup: 2, duration: seconds });
  const pin = canPin(availableParallelism()) && pinSelf(0);
  const dir = join(RESULTS_DIR, 'profiles', `${variant}-${workload}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const ctx = { config, logDir: dir, tmpDir: dir, serverCore: pin ? 1 : null, loadCore: pin ? 0 : null, loadgen: detectLoadGenerator(ROOT), progress: () => {} };
  const w = workloads(config).find((x) => x.name === workload);
  if (!w) throw new Error(`workload is invoke or get, not ${workload}`);
  const proc = await launch(ctx, config.variants[0], 'profile', [
    '--import', pathToFileURL(join(BENCH_DIR, 'lib', 'exit-on-signal.mjs')).href,
    '--cpu-prof', '--cpu-prof-dir', dir,
  ]);
  let result;
  try {
    await pollInitialize(proc.port, { everyMs: 5, isDead: proc.isDead });
    const checks = await checkContract(proc.port);
    if (checks[w.check]) throw new Error(checks[w.check]);
    const url = `http://127.0.0.1:${proc.port}${w.path}`;
    const warm = await runLoad(ctx.loadgen, { url, workload: w, seconds: config.warmup, connections: config.connections, core: ctx.loadCore, tmpDir: dir });
    result = await runLoad(ctx.loadgen, { url, workload: w, seconds, connections: config.connections, core: ctx.loadCore, tmpDir: dir });
    result.totalRequests = warm.requests + result.requests;
  } finally {
    await stopProcess(proc, { signal: 'SIGTERM', graceMs: 10_000 });
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const rows = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  for (const r of rows) r.usPerRequest = (r.ms * 1000) / result.totalRequests;
  return { result, rows: rows.slice(0, top), dist: rows.filter((r) => r.where.startsWith('dist/')).slice(0, top), file: join(dir, file) };
}

/** Per-request self time of `a` minus `b`, by function name and place, largest difference first. */
export function diffProfiles(a, b) {
  const key = (r) => `${r.name}\u0000${r.where}`;
  const map = new Map();
  for (const r of a) map.set(key(r), { name: r.name, where: r.where, a: r.usPerRequest, b: 0 });
  for (const r of b) {
    const entry = map.get(key(r)) ?? { name: r.name, where: r.where, a: 0, b: 0 };
    entry.b = r.usPerRequest;
    map.set(key(r), entry);
  }
  return [...map.values()].map((e) => ({ ...e, delta: e.a - e.b })).sort((x, y) => y.delta - x.delta);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const vsAt = args.indexOf('--vs');
  const vs = vsAt === -1 ? undefined : args.splice(vsAt, 2)[1];
  const [variant = 'fc-container', workload = 'invoke', seconds] = args;
  const options = { workload, seconds: seconds ? Number(seconds) : undefined, top: Infinity };
  try {
    const line = (r) => `| ${r.name} | ${r.where} | ${r.ms.toFixed(1)} | ${r.usPerRequest.toFixed(2)} | ${(r.share * 100).toFixed(1)}% |`;
    const head = '| function | where | self ms | self us/request | share |\n| --- | --- | ---: | ---: | ---: |';
    const a = await profileVariant({ ...options, variant });
    process.stdout.write(`Profile of ${variant} ${workload} under load: ${Math.round(a.result.rps)} req/s while profiling, ${a.result.totalRequests} requests in the profile (warm-up included)\n${a.file}\n\nTop self time:\n\n${head}\n${a.rows.slice(0, 25).map(line).join('\n')}\n`);
    if (a.dist.length) process.stdout.write(`\nIn dist/:\n\n${head}\n${a.dist.slice(0, 25).map(line).join('\n')}\n`);
    if (vs) {
      const b = await profileVariant({ ...options, variant: vs });
      const total = (p) => p.rows.filter((r) => r.name !== '(idle)').reduce((sum, r) => sum + r.usPerRequest, 0);
      process.stdout.write(`\n${vs}: ${Math.round(b.result.rps)} req/s while profiling. Busy self time per request: ${variant} ${total(a).toFixed(2)} us, ${vs} ${total(b).toFixed(2)} us.\n\nLargest per-request differences (${variant} - ${vs}):\n\n| function | where | ${variant} us/req | ${vs} us/req | delta |\n| --- | --- | ---: | ---: | ---: |\n`);
      const diff = diffProfiles(a.rows, b.rows).filter((d) => d.name !== '(idle)');
      const shown = [...diff.slice(0, 20), ...diff.slice(-8)];
      process.stdout.write(shown.map((d) => `| ${d.name} | ${d.where} | ${d.a.toFixed(2)} | ${d.b.toFixed(2)} | ${d.delta >= 0 ? '+' : ''}${d.delta.toFixed(2)} |`).join('\n') + '\n');
    }
  } catch (error) {
    process.stderr.write(`profile: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  } finally {
    killAllChildren();
  }
}
