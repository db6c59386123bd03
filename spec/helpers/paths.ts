/** Where the project, its spec fixtures and its CLI source are. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'spec', 'fixtures');
export const CLI = join(ROOT, 'lib', 'cli.ts');
/** Node's arguments that start the CLI: from source through tsx, or the built `dist/cli.cjs`. */
export const SOURCE_CLI = ['--import', 'tsx', CLI];
export const DIST_CLI = [join(ROOT, 'dist', 'cli.cjs')];
