// The package's build: one CommonJS implementation, ES module entries that re-export it.
//
//   dist/<entry>.cjs     the implementation, bundled by esbuild (format cjs). The entries meet
//                        only at their externals: dist/cli.cjs requires ./index.cjs, index.cjs
//                        requires ./fetch.cjs on first use, cli.cjs requires ./emulator.cjs for
//                        `emulate`. One file per entry, so `require` and `import` share one copy.
//   dist/<entry>.js      for `import`: requires './<entry>.cjs' and exports its names, listed at
//                        build time (no dual-package hazard: both conditions reach the .cjs).
//   dist/**/*.d.cts      the declarations, emitted by tsc and renamed, their relative specifiers
//                        pointed at .cjs, so a `require` consumer under `module: nodenext` reads
//                        CommonJS types; dist/<entry>.d.ts re-exports them for `import`.
//
// Why CommonJS underneath: Node before 20.19 (and Jest) cannot `require` an ES module, and
// `import` of CommonJS works on every Node.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
/** Every bundle; `public` ones are package exports and get an ES module entry and a `.d.ts`. */
const ENTRIES = [
  { name: 'index', public: true },
  { name: 'emulator', public: true },
  { name: 'testing', public: true },
  { name: 'fetch', public: false },
  { name: 'cli', public: false },
];
const SIBLINGS = new Set(ENTRIES.map((entry) => `./${entry.name}.js`));
/** A relative specifier ending in `.js` in a declaration file: `from './x.js'`, `import('./x.js')`. */
const RELATIVE_JS = /(['"])(\.\.?\/[^'"]*?)\.js\1/g;

/** Source imports of another entry (`./index.js`, `./fetch.js`, ...) stay outside the bundle, as that entry's `.cjs`. */
const siblingsExternal = {
  name: 'siblings-external',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/\w+\.js$/ }, (args) => {
      if (!SIBLINGS.has(args.path) || dirname(args.importer) !== join(ROOT, 'lib')) return undefined;
      return { path: args.path.replace(/\.js$/, '.cjs'), external: true };
    });
  },
};

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

/** tsc's declarations, moved into dist/ as .d.cts with their relative imports pointed at .cjs. */
function emitDeclarations() {
  const out = mkdtempSync(join(tmpdir(), 'fc-container-types-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', out], { stdio: 'inherit' });
    for (const file of listFiles(out)) {
      if (!file.endsWith('.d.ts')) continue;
      const target = join(DIST, relative(out, file)).replace(/\.d\.ts$/, '.d.cts');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, readFileSync(file, 'utf8').replace(RELATIVE_JS, '$1$2.cjs$1'));
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function bundle() {
  await build({
    entryPoints: ENTRIES.map((entry) => join(ROOT, 'lib', `${entry.name}.ts`)),
    outdir: DIST,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    plugins: [siblingsExternal],
    // Source reads its own folder as an ES module does; a CommonJS bundle has `__dirname`.
    define: { 'import.meta.dirname': '__dirname' },
    logLevel: 'warning',
  });
}

/**
 * The ES module entries: each `require`s its .cjs through `createRequire` and names every export.
 * Not `export { ... } from './x.cjs'`: Node parses a CommonJS module that ES modules import with
 * cjs-module-lexer, and on Node 20 that cost `import('fc-container')` about 15 ms more than
 * `require` and 7 MiB of RSS (measured here); a `require` skips the lexer.
 */
function writeModuleEntries() {
  const require = createRequire(import.meta.url);
  for (const entry of ENTRIES.filter((e) => e.public)) {
    const names = Object.keys(require(join(DIST, `${entry.name}.cjs`))).filter((name) => name !== 'default' && name !== '__esModule').join(', ');
    writeFileSync(join(DIST, `${entry.name}.js`), `import { createRequire } from 'node:module';
const { ${names} } = createRequire(import.meta.url)('./${entry.name}.cjs');
export { ${names} };
`);
    writeFileSync(join(DIST, `${entry.name}.d.ts`), `export * from './${entry.name}.cjs';\n`);
  }
}

rmSync(DIST, { recursive: true, force: true });
emitDeclarations();
await bundle();
writeModuleEntries();
