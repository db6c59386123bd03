// The image section: the package as a function's image holds it. Packed once (`npm pack
// --ignore-scripts`: no build runs, dist/ is what was built), installed into a fresh consumer
// folder as spec/image.spec.ts does, the README's handler.mjs beside it; then cold starts, spawn
// to the first 200 of POST /invoke, of the README's own CMD, of a serve() call of one's own and of
// bare node:http, from that folder, interleaved run by run. And what the install put on disk.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pollInvoke } from './client.mjs';
import { ROOT, SERVERS_DIR } from './config.mjs';
import { launchNode, shutdown, describeExit } from './server.mjs';
import { waitForQuiet } from './quiet.mjs';
import { onExit, runCommand } from './procs.mjs';
import { median, percentile, pairedRatios } from './stats.mjs';

/** The variant the others are compared with. */
export const BARE = 'bare';

/** npm's own noise off (audit, funding, update notice); --offline: the tarball has no dependencies. */
const NPM_QUIET = ['--no-audit', '--no-fund', '--no-update-notifier'];

/** `serve()` called by the function itself, with the README's two handlers. */
const SERVE_MJS = `// serve.mjs: the README's handlers, served by the function's own serve() call.
import { serve } from 'fc-container';
import { initialize, invoke } from './handler.mjs';

await serve({ initialize, invoke });
`;

/** The body of README.md's first fenced block with this info string (as spec/image.spec.ts reads it). */
function readmeBlock(readme, info) {
  const match = new RegExp('^```' + info + '\\n([\\s\\S]*?)^```$', 'm').exec(readme);
  if (!match) throw new Error(`README.md has no \`\`\`${info} block`);
  return match[1];
}

/**
 * The README's Dockerfile CMD (exec form) and its handler.mjs. The CMD must start `node`: it is run
 * with this process's Node, the rest of it as written, so the bench times what the README says.
 */
export function readReadme(root = ROOT) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const cmdLine = /^CMD (\[.*\])$/m.exec(readmeBlock(readme, 'dockerfile'));
  if (!cmdLine) throw new Error('the README\'s Dockerfile has no exec-form CMD');
  const cmd = JSON.parse(cmdLine[1]);
  if (cmd[0] !== 'node' || cmd.length < 2) throw new Error(`the README's CMD does not start node <file>: ${cmdLine[1]}`);
  const handler = /^```js\n(\/\/ handler\.mjs\n[\s\S]*?)^```$/m.exec(readme);
  if (!handler) throw new Error('README.md has no ```js block starting `// handler.mjs`');
  return { cmd, handler: handler[1] };
}

/**
 * Packages in a node_modules folder: its directories (a symlinked one too), each of an @scope's
 * counted as one, dot entries (.bin, .package-lock.json) left out. Top level only: what npm
 * hoisted there, which for a dependency-free package is everything.
 */
export function packagesIn(nodeModules) {
  const names = [];
  const dirs = (path) => readdirSync(path, { withFileTypes: true }).filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isSymbolicLink()));
  for (const entry of dirs(nodeModules)) {
    if (entry.name.startsWith('@')) for (const sub of dirs(join(nodeModules, entry.name))) names.push(`${entry.name}/${sub.name}`);
    else names.push(entry.name);
  }
  return names.sort();
}

/** Sum of the sizes of the regular files under `path` (symlinks, like .bin's, not followed), and their count. */
export function bytesUnder(path) {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      const sub = bytesUnder(full);
      bytes += sub.bytes;
      files += sub.files;
    } else if (entry.isFile()) {
      bytes += lstatSync(full).size;
      files++;
    }
  }
  return { bytes, files };
}

/**
 * Packs the package into `work` and installs it into `work/function` with the README's handler and
 * a serve.mjs. Returns the consumer folder, the tarball and how long packing and installing took.
 */
async function buildConsumer(work, handler) {
  const t0 = performance.now();
  const { stdout } = await runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work, ...NPM_QUIET], { cwd: ROOT, timeoutMs: 120_000 });
  const { filename } = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
  const tarball = join(work, filename);
  const packMs = performance.now() - t0;
  const consumer = join(work, 'function');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'function', version: '1.0.0', private: true }));
  writeFileSync(join(consumer, 'handler.mjs'), handler);
  writeFileSync(join(consumer, 'serve.mjs'), SERVE_MJS);
  const t1 = performance.now();
  // As the function's developer adds the dependency; the spec also replays it with the
  // Dockerfile's `npm ci --omit=dev`, which lays out the same node_modules from the lock.
  await runCommand('npm', ['install', '--omit=dev', '--offline', ...NPM_QUIET, tarball], { cwd: consumer, timeoutMs: 120_000 });
  const installMs = performance.now() - t1;
  return { consumer, tarball: { filename, size: statSync(tarball).size }, packMs, installMs };
}

export async function measureImage(ctx) {
  const { config } = ctx;
  const work = mkdtempSync(join(tmpdir(), 'fc-container-bench-image-'));
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  const forgetWork = onExit(removeWork);
  try {
    let setup;
    try {
      const { cmd, handler } = readReadme();
      const built = await buildConsumer(work, handler);
      const nodeModules = join(built.consumer, 'node_modules');
      const packages = packagesIn(nodeModules);
      setup = { cmd, ...built, footprint: { packages, ...bytesUnder(nodeModules) } };
    } catch (error) {
      return { error: error.message.split('\n').slice(0, 3).join(' '), rows: [], paired: {} };
    }
    const variants = [
      { name: 'readme-cmd', label: `${setup.cmd.join(' ')} (the README's CMD)`, file: setup.cmd[1], args: setup.cmd.slice(2) },
      { name: 'serve-mjs', label: 'node serve.mjs (serve() called by the function)', file: 'serve.mjs', args: [] },
      { name: BARE, label: 'node bench/servers/raw.mjs (bare node:http)', file: join(SERVERS_DIR, 'raw.mjs'), args: [] },
    ];
    const samples = Object.fromEntries(variants.map((v) => [v.name, []]));
    const errors = {};
    for (let run = 0; run < config.imageRuns; run++) {
      // Rotated each run, as in the cold-start section, so no variant always follows the same one.
      const order = [...variants.slice(run % variants.length), ...variants.slice(0, run % variants.length)];
      await waitForQuiet(ctx);
      for (const variant of order) {
        if (errors[variant.name]) continue;
        const proc = await launchNode(ctx, {
          name: `image-${variant.name}`, file: variant.file, args: variant.args, cwd: setup.consumer, tag: `run${run}`,
          portEnv: ['FC_CUSTOM_LISTEN_PORT'],
        });
        try {
          const answered = await pollInvoke(proc.port, { everyMs: 2, timeoutMs: 15_000, isDead: proc.isDead });
          samples[variant.name].push(answered - proc.spawnedAt);
        } catch (error) {
          errors[variant.name] = `${error.message}${proc.isDead() ? `; ${describeExit(proc)}` : ''}`;
        } finally {
          await shutdown(ctx, proc);
        }
      }
      ctx.progress(`image: run ${run + 1}/${config.imageRuns}`);
    }
    const rows = variants.map((v) => {
      const values = samples[v.name];
      return {
        name: v.name,
        label: v.label,
        median: median(values),
        p90: percentile(values, 90),
        min: values.length ? Math.min(...values) : NaN,
        samples: values,
        error: errors[v.name],
      };
    });
    // Per run: a variant's time over bare node:http's in the same run.
    const paired = Object.fromEntries(variants.filter((v) => v.name !== BARE).map((v) => [v.name, pairedRatios(samples[v.name], samples[BARE])]));
    const { consumer, ...kept } = setup;
    return { ...kept, rows, paired };
  } finally {
    removeWork();
    forgetWork();
  }
}
