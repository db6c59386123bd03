// Import cost (fresh processes, import() and require()) and the packed size of the package.
import { runCommand } from './procs.mjs';
import { median, percentile } from './stats.mjs';
import { ROOT } from './config.mjs';

/**
 * What each import-cost line loads, all resolved from the package root, and how: `import()` in an
 * ES module process, or `require()` in a CommonJS one. fc-container has both rows, next to each
 * other: `require` reaches dist/index.cjs directly, `import` goes through the ES module entry
 * (dist/index.js) that re-exports it.
 */
export const IMPORTS = [
  { name: 'fc-container', specifiers: ['fc-container'], loader: 'import' },
  { name: 'fc-container (require)', specifiers: ['fc-container'], loader: 'require' },
  { name: 'express', specifiers: ['express'], loader: 'import' },
  { name: 'fastify', specifiers: ['fastify'], loader: 'import' },
  { name: 'hono', specifiers: ['hono', '@hono/node-server'], loader: 'import' },
];

/** `node` arguments that time loading `specifiers` and print `IMPORT_MS <ms>`. */
function loadArgs({ specifiers, loader }) {
  const print = "process.stdout.write('IMPORT_MS ' + (performance.now() - t));";
  if (loader === 'require') {
    // A CommonJS eval: require() resolves from the cwd, the package root (self-reference).
    const requires = specifiers.map((s) => `require(${JSON.stringify(s)});`).join(' ');
    return ['--input-type=commonjs', '-e', `const t = performance.now(); ${requires} ${print}`];
  }
  const imports = specifiers.map((s) => `import(${JSON.stringify(s)})`).join(', ');
  return ['--input-type=module', '-e', `const t = performance.now(); await Promise.all([${imports}]); ${print}`];
}

export async function measureImports(ctx) {
  const { config } = ctx;
  const samples = Object.fromEntries(IMPORTS.map((i) => [i.name, []]));
  const errors = {};
  for (let run = 0; run < config.importRuns; run++) {
    for (const entry of IMPORTS) {
      if (errors[entry.name]) continue;
      try {
        const { stdout } = await runCommand(process.execPath, loadArgs(entry), { core: ctx.serverCore, cwd: ROOT, timeoutMs: 30_000 });
        const match = /IMPORT_MS ([\d.]+)/.exec(stdout);
        if (!match) throw new Error(`no timing printed: ${stdout.slice(0, 200)}`);
        samples[entry.name].push(Number(match[1]));
      } catch (error) {
        errors[entry.name] = error.message.split('\n')[0];
      }
    }
  }
  const rows = IMPORTS.map((entry) => ({
    name: entry.name,
    specifiers: entry.specifiers,
    loader: entry.loader,
    median: median(samples[entry.name]),
    p90: percentile(samples[entry.name], 90),
    samples: samples[entry.name],
    error: errors[entry.name],
  }));
  return rows;
}

/** `npm pack --dry-run --json --ignore-scripts` (no `prepare` rebuild): size and unpackedSize. */
export async function measurePack() {
  try {
    const { stdout } = await runCommand('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, timeoutMs: 60_000 });
    const info = JSON.parse(stdout.slice(stdout.indexOf('[')))[0];
    return { size: info.size, unpackedSize: info.unpackedSize, entryCount: info.entryCount, filename: info.filename };
  } catch (error) {
    return { error: error.message.split('\n')[0] };
  }
}
