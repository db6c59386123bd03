/**
 * The examples under examples/, run as their images run them: each folder's Dockerfile `CMD`
 * (`node node_modules/fc-container/dist/cli.cjs serve <module> ...`) started in the folder, with
 * `fc-container` resolving to this repository's build (a link made in examples/node_modules) and
 * every other dependency to the root's node_modules (no install per example); and the same
 * command behind the local gateway, as `fc-container emulate -- <CMD>` runs it.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestContext } from 'node:test';
import type { GatewayOptions } from '../../lib/emulator.js';
import { spawnNode, type ChildServer } from './child-server.js';
import { startGateway, type Started } from './gateway.js';
import { ROOT } from './paths.js';

export const EXAMPLES = join(ROOT, 'examples');
/** Where the CMD of every example's Dockerfile finds the CLI inside the image. */
export const IMAGE_CLI = 'node_modules/fc-container/dist/cli.cjs';

/** The example folders (each with a Dockerfile), sorted. */
export function listExamples(): string[] {
  return readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(EXAMPLES, entry.name, 'Dockerfile')))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Links examples/node_modules/fc-container to the repository root, so an example's
 * `require('fc-container')`/`import 'fc-container'` and its image's CLI path reach this package's
 * build (dist/, which `npm test` builds first). Idempotent.
 */
export function linkPackage(): void {
  const dir = join(EXAMPLES, 'node_modules');
  const link = join(dir, 'fc-container');
  mkdirSync(dir, { recursive: true });
  try {
    lstatSync(link);
    return;
  } catch {
    symlinkSync(relative(dir, ROOT), link, 'dir');
  }
}

/** The exec-form `CMD [...]` of an example's Dockerfile. */
export function readCommand(name: string): string[] {
  const dockerfile = readFileSync(join(EXAMPLES, name, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('CMD '));
  if (!line) throw new Error(`examples/${name}/Dockerfile has no CMD`);
  const command = JSON.parse(line.slice(4)) as string[];
  if (command[0] !== 'node' || command[1] !== IMAGE_CLI) throw new Error(`examples/${name}: CMD must start with node ${IMAGE_CLI}, got ${line}`);
  return command;
}

/**
 * The CMD's arguments after `node`, runnable from any folder: the image's CLI path is this
 * repository's dist/cli.cjs (what the image's node_modules/fc-container holds), the module's
 * path absolute.
 */
function resolveCommand(name: string): string[] {
  const dir = join(EXAMPLES, name);
  const args = readCommand(name).slice(1);
  args[0] = join(ROOT, 'dist', 'cli.cjs');
  const serve = args.indexOf('serve');
  if (serve !== -1 && args[serve + 1]) args[serve + 1] = join(dir, args[serve + 1]!);
  return args;
}

/**
 * Starts an example as its image does (its CMD, in its folder) and resolves once it listens.
 * `extra` is appended to the CMD (default `--port 0 --host 127.0.0.1`: a free loopback port;
 * pass `[]` to listen where the example listens by default).
 */
export function startExample(name: string, env: Record<string, string> = {}, extra: string[] = ['--port', '0', '--host', '127.0.0.1']): Promise<ChildServer> {
  linkPackage();
  return spawnNode([...resolveCommand(name), ...extra], env, join(EXAMPLES, name));
}

/**
 * Starts the local gateway in this process in front of the example's CMD (the gateway hands it
 * FC_CUSTOM_LISTEN_PORT, as FC does); closed after the test. `options` as for createGateway
 * (`customDomain`, `initializer`, `preStop`, `profile`, ...).
 */
export function emulateExample(t: TestContext, name: string, options: GatewayOptions = {}): Promise<Started> {
  linkPackage();
  return startGateway(t, { command: [process.execPath, ...resolveCommand(name)], ...options });
}
