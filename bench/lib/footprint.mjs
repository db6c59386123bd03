// Import cost (fresh processes) and the packed size of the package.
import { runCommand } from './procs.mjs';
import { median, percentile } from './stats.mjs';
import { ROOT } from './config.mjs';

/** What each import-cost line imports; all resolved from the package root. */
export const IMPORTS = [
  { name: 'fc-container', specifiers: ['fc-container'] },
  { name: 'express', specifiers: ['express'] },
  { name: 'fastify', specifiers: ['fastify'] },
  { name: 'hono', specifiers: ['hono', '@hono/node-server'] },
];

function importScript(specifiers) {
  const imports = specifiers.map((s) => `import(${JSON.stringify(s)})`).join(', ');
  return `const t = performance.now(); await Promise.all([${imports}]); process.stdout.write('IMPORT_MS ' + (performance.now() - t));`;
}

export async function measureImports(ctx) {
  const { config } = ctx;
  const samples = Object.fromEntries(IMPORTS.map((i) => [i.name, []]));
  const errors = {};
  for (let run = 0; run < config.importRuns; run++) {
    for (const entry of IMPORTS) {
      if (errors[entry.name]) continue;
      try {
        const { stdout } = await runCommand(process.execPath, ['--input-type=module', '-e', importScript(entry.specifiers)], { core: ctx.serverCore, cwd: ROOT, timeoutMs: 30_000 });
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
