/**
 * The built package (dist/), for the specs that run what npm ships. `npm test` builds it first
 * (its `pretest`); a spec run on its own rebuilds it only when a source is newer, so a full run
 * never rewrites dist/ under another spec.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export const DIST = join(ROOT, 'dist');
/** Every file the build writes that a spec reads. */
const BUNDLES = ['index.cjs', 'index.js', 'fetch.cjs', 'emulator.cjs', 'emulator.js', 'cli.cjs'];
/** What the build reads besides lib/: a change to any of them makes dist/ stale. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];

/** Newest modification time of a file under `dir`, in ms. */
function readNewestTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? readNewestTime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isDistStale(): boolean {
  let built = Infinity;
  try {
    for (const bundle of BUNDLES) built = Math.min(built, statSync(join(DIST, bundle)).mtimeMs);
  } catch {
    return true; // a bundle is missing
  }
  const sources = Math.max(readNewestTime(join(ROOT, 'lib')), ...BUILD_INPUTS.map((name) => statSync(join(ROOT, name)).mtimeMs));
  return sources > built;
}

/** Builds dist/ when it is missing or older than a source; rejects when the build fails. */
export async function ensureDist(): Promise<void> {
  if (!isDistStale()) return;
  const build = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const [code] = await once(build, 'exit') as [number | null];
  if (code !== 0) throw new Error(`npm run build exited ${code}`);
}
