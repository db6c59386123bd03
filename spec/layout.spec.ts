/**
 * The layout rules (spec/helpers/layout.ts), proven on a planted tree that breaks each once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, ROOT } from './helpers/paths.js';
import { checkLayout, readImports } from './helpers/layout.js';

const PLANTED = join(FIXTURES, 'layout');

test('the planted tree: each violation is reported once, with its own message', () => {
  const problems = checkLayout(PLANTED).sort();
  assert.deepEqual(problems, [
    'import cycle: lib/cycle-a.ts -> lib/cycle-b.ts -> lib/cycle-a.ts',
    'lib/gateway/forward.ts imports lib/runtime/listener.ts: the gateway uses the shared rules, never the runtime',
    'lib/long.ts has 301 lines (over 300): a module that long holds more than one concern; split it along them',
    'lib/probe.ts calls networkInterfaces(): tests and tools send traffic to loopback only',
    'spec/probe.spec.ts calls networkInterfaces(): tests and tools send traffic to loopback only',
  ]);
});

test('the project itself: no import cycle in lib/, no gateway import of the runtime, no module over 300 lines, no networkInterfaces()', () => {
  assert.deepEqual(checkLayout(ROOT, ['spec/fixtures/layout']), []);
});

test('imports that count: static, re-exports, bare and relative dynamic import(); type-only ones do not', () => {
  assert.deepEqual(readImports([
    "import { a } from './a.js';",
    "import type { B } from './b.js';",
    "import { type C, type D } from './c.js';",
    "import { type E, f } from './e.js';",
    "export { g } from './g.js';",
    "export type { H } from './h.js';",
    "import './side-effect.js';",
    "const lazy = import('./lazy.js');",
    "import { readFile } from 'node:fs';",
    "// import { commented } from './commented.js';",
  ].join('\n')), ['./a.js', './e.js', './g.js', './side-effect.js', './lazy.js']);
});
