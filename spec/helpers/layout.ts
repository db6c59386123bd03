/**
 * The layout rules, read from the source text with Node built-ins only (no compiler API):
 * imports in `lib/` form no cycle and never go from the gateway folder into the runtime folder
 * (the gateway uses the shared rules, not the runtime), no `lib/` module is over
 * {@link MAX_MODULE_LINES} lines, and no file in `lib/` or `spec/` calls `networkInterfaces()`
 * (nothing here may send traffic off loopback).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** A module past this holds more than one concern: split it along its concerns. */
export const MAX_MODULE_LINES = 300;

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

/** Every source file below `dir`, as absolute paths, skipping `node_modules`. */
function listSources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSources(path));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** Blanks comments, keeping the line structure: good enough to find import statements. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Blanks what string literals hold, so a message naming a call is not taken for the call. */
function stripStrings(text: string): string {
  return text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
}

/**
 * The relative modules a file imports at run time: `import … from`, `import '…'`, `export … from`
 * and `import('…')` with a literal path. `import type` and `export type` are erased at build time
 * and do not count, nor does an `import { type A }` whose every name is a type.
 */
export function readImports(text: string): string[] {
  const source = stripComments(text);
  const found: string[] = [];
  const statement = /\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(statement)) {
    const [, keyword, typeOnly, clause, from, bare, dynamic] = match;
    const target = from ?? bare ?? dynamic;
    if (!target || !target.startsWith('.')) continue;
    if (keyword && typeOnly) continue;
    if (clause && /^\{[^}]*\}$/.test(clause.trim())) {
      const names = clause.trim().slice(1, -1).split(',').map((name) => name.trim()).filter(Boolean);
      if (names.length > 0 && names.every((name) => name.startsWith('type '))) continue;
    }
    found.push(target);
  }
  return found;
}

/** The file an import names: `./x.js` is `./x.ts` in the source tree. */
function resolveImport(from: string, target: string, files: Set<string>): string | undefined {
  const base = resolve(dirname(from), target);
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (files.has(candidate)) return candidate;
  }
  return undefined;
}

/** One cycle per strongly connected group of modules, as the chain of paths. */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/**
 * Checks the tree at `root` (with `lib/` and `spec/` folders) and returns one message per
 * violation, empty when the layout holds. `ignore` lists folders (relative to `root`) left out of
 * the `networkInterfaces()` search, for the planted tree of the layout spec itself.
 */
export function checkLayout(tree: string, ignore: string[] = []): string[] {
  const root = resolve(tree);
  const problems: string[] = [];
  const libRoot = join(root, 'lib');
  const libFiles = listSources(libRoot);
  const known = new Set(libFiles);
  const graph = new Map<string, string[]>();
  for (const file of libFiles) {
    const text = readFileSync(file, 'utf8');
    const name = relative(root, file);
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_MODULE_LINES) {
      problems.push(`${name} has ${lines} lines (over ${MAX_MODULE_LINES}): a module that long holds more than one concern; split it along them`);
    }
    const edges: string[] = [];
    for (const target of readImports(text)) {
      const resolved = resolveImport(file, target, known);
      if (!resolved) continue;
      edges.push(resolved);
      const fromFolder = relative(libRoot, file).split(sep)[0];
      const toFolder = relative(libRoot, resolved).split(sep)[0];
      if (fromFolder === 'gateway' && toFolder === 'runtime') {
        problems.push(`${name} imports ${relative(root, resolved)}: the gateway uses the shared rules, never the runtime`);
      }
    }
    graph.set(file, edges);
  }
  for (const cycle of findCycles(graph)) {
    problems.push(`import cycle: ${cycle.map((file) => relative(root, file)).join(' -> ')}`);
  }
  const skipped = ignore.map((folder) => join(root, folder) + sep);
  for (const file of [...libFiles, ...listSources(join(root, 'spec'))]) {
    if (skipped.some((folder) => file.startsWith(folder))) continue;
    if (/\bnetworkInterfaces\s*\(/.test(stripStrings(stripComments(readFileSync(file, 'utf8'))))) {
      problems.push(`${relative(root, file)} calls networkInterfaces(): tests and tools send traffic to loopback only`);
    }
  }
  return problems;
}
