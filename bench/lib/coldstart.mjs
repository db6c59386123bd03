// Cold start: from spawn to the first 200 of POST /initialize (of GET /api/hello for a variant
// whose `coldPath` is 'get': the Fetch variants and Hono), the port polled every 2 ms; and
// `node -e 0` spawn-to-exit as the floor. Runs are interleaved across variants.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pollGet, pollInitialize } from './client.mjs';
import { launch, shutdown, describeExit } from './server.mjs';
import { waitForQuiet } from './quiet.mjs';
import { spawnNode, removeFile } from './procs.mjs';
import { median, percentile, medianHalfWidth } from './stats.mjs';

export const FLOOR = 'node -e 0';

export async function measureColdStart(ctx) {
  const { config } = ctx;
  const variants = config.variants;
  const samples = Object.fromEntries([FLOOR, ...variants.map((v) => v.name)].map((n) => [n, []]));
  const errors = {};
  for (let run = 0; run < config.coldRuns; run++) {
    // Rotate the order each run, so no variant always follows the same one.
    const order = [...variants.slice(run % variants.length), ...variants.slice(0, run % variants.length)];
    await waitForQuiet(ctx);
    try {
      samples[FLOOR].push(await floorRun(ctx, run));
    } catch (error) {
      errors[FLOOR] = error.message;
    }
    for (const variant of order) {
      if (errors[variant.name]) continue;
      const proc = await launch(ctx, variant, `cold${run}`);
      try {
        const poll = variant.coldPath === 'get' ? pollGet : pollInitialize;
        const answered = await poll(proc.port, { everyMs: 2, timeoutMs: 15_000, isDead: proc.isDead });
        samples[variant.name].push(answered - proc.spawnedAt);
      } catch (error) {
        errors[variant.name] = `${error.message}${proc.isDead() ? `; ${describeExit(proc)}` : ''}`;
      } finally {
        await shutdown(ctx, proc);
      }
    }
    ctx.progress(`cold start: run ${run + 1}/${config.coldRuns}`);
  }
  const rows = Object.entries(samples).map(([name, values]) => ({
    name,
    median: median(values),
    p90: percentile(values, 90),
    min: values.length ? Math.min(...values) : NaN,
    halfWidth: medianHalfWidth(values),
    samples: values,
    error: errors[name],
  }));
  return rows;
}

/** `node -e 0`, spawned the same way as a server (pinned, stdout to a file), to its exit. */
async function floorRun(ctx, run) {
  const logPath = join(ctx.logDir, `floor-${run}.log`);
  const started = performance.now();
  const proc = spawnNode('0', { port: 0, logPath, core: ctx.serverCore, nodeArgs: ['-e'] });
  const { code } = await proc.exited;
  const elapsed = performance.now() - started;
  removeFile(logPath);
  if (code !== 0) throw new Error(`node -e 0 exited ${code}`);
  return elapsed;
}
