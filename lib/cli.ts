#!/usr/bin/env node
/**
 * `fc-container serve <module>`: loads a handler module and serves it as FC expects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
// Values come from the package's entry only, so the bundled dist/cli.cjs loads the core once.
import { countServeCalls, HANDLER_NAMES, serve, setServeDefaults, type Handlers, type LimitsPreset, type LogThreshold, type Options, type Profile } from './index.js';
import { loadModule } from './load-module.js';
// A leaf module with no state: the bundle may carry its own copy.
import { readEnvironmentSecrets, redact } from './rules/redact.js';

/** Exit code for a usage error, a bad module path or a module with no handler. */
const EXIT_USAGE = 2;

const HELP = `Usage: fc-container <command> [options]

Commands:
  serve <module>   Serve the handlers a module exports, as Function Compute expects
                   inside a Custom Container.
  emulate -- <command...>
                   Run FC's gateway locally in front of a container's server (any
                   language): FC's APIs, HTTP trigger, limits, Initializer, timeout.

Options:
  -v, --version    Print fc-container's version
  -h, --help       Show this help

Run 'fc-container serve --help' or 'fc-container emulate --help' for the options.
`;

const SERVE_HELP = `Usage: fc-container serve <module> [options]

Loads <module> (a file path resolved against the current directory, ESM or CommonJS) and
serves its handlers. The handlers are the module's named exports, or the properties of its
default export: ${HANDLER_NAMES.join(', ')}. A default export that is itself a function is
taken as the Node-style "http" handler (an Express or Koa app's callback fits).

Options:
  --port <n>               Port (default: FC_CUSTOM_LISTEN_PORT, FC_SERVER_PORT, else 9000)
  --host <address>         Address (default 0.0.0.0; FC cannot reach 127.0.0.1)
  --profile <name>         "fc2" or "fc3": which FC generation's limits, header rules and log
                           format apply (default: FC_CONTAINER_PROFILE, else fc2)
  --limits <preset>        "fc3" for FC 3.0's limits only, over the profile's (default:
                           FC_CONTAINER_LIMITS, else the profile's)
  --health-path <path>     Answer GET <path> with 200 at once (FC's health check)
  --shutdown-timeout <ms>  How long SIGTERM waits for in-flight requests (default 10000)
  --headers-timeout <ms>   Cut off a client that has not sent its headers (default 30000)
  --body-timeout <ms>      Cut off a client whose body stalls this long (default 30000; 0: off)
  --log-level <level>      debug, info, warn, error or silent (default debug)
  --no-markers             Do not print the "FC Invoke Start RequestId:" markers
  --async-context          Make getContext() work anywhere in a handler's call chain
  --format-console         console.* lines get FC's format with the request id (implies --async-context)
  -h, --help               Show this help
`;

/** Prints the message, scrubbed of the environment's secrets, and exits with the usage code. */
function fail(message: string): never {
  process.stderr.write(`fc-container: ${redact(message, readEnvironmentSecrets())}\n`);
  process.exit(EXIT_USAGE);
}

/** A SyntaxError's stack starts with the file and line it points at, before the message. */
const SOURCE_LINE = /^((?:file:\/\/|\/)[^\n]*:\d+)\n/;
/** An `at` frame's location: `at fn (file:1:2)` or `at file:1:2`. */
const FRAME = /^\s+at (?:[^\n]*\()?([^\n()]+:\d+:\d+)\)?$/gm;

/** The first frame in the app's own code (Node's `node:` frames say nothing to its author). */
function findAppFrame(stack: string): string | undefined {
  for (const match of stack.matchAll(FRAME)) {
    if (!match[1]!.startsWith('node:')) return match[1];
  }
  return undefined;
}

/**
 * A module's load failure in one line: the error's name and message, its line breaks folded
 * (Node's "Cannot find module" lists a require stack on lines of its own), and where it was
 * thrown. The stack itself would be several lines of the CLI's own frames.
 */
function describeLoadError(error: unknown): string {
  let text: string;
  try {
    if (error instanceof Error) {
      const stack = typeof error.stack === 'string' ? error.stack : '';
      const where = SOURCE_LINE.exec(stack)?.[1] ?? findAppFrame(stack);
      text = `${error.name}: ${error.message}${where ? ` (at ${where})` : ''}`;
    } else {
      text = String(error);
    }
  } catch {
    text = Object.prototype.toString.call(error);
  }
  return text.replace(/\s*\n\s*/g, ' ');
}

/** The module being imported, until its import settles. */
let loadingModule: string | undefined;

/**
 * Node quirk: when a module's top-level await never settles, the event loop empties and the
 * `import()` of it just never settles either: the process would end with nothing said (exit 0
 * from this CommonJS CLI, 13 from an ES module entry). `beforeExit` is that moment (an explicit
 * `process.exit` from the module does not emit it, and is left alone): say so in one line and
 * exit as for a module that fails to load.
 */
function onIdleWhileLoading(): void {
  if (loadingModule === undefined) return;
  process.stderr.write(`fc-container: cannot load "${loadingModule}": its top-level await never settled (nothing was left for it to wait on)\n`);
  loadingModule = undefined;
  process.exitCode = EXIT_USAGE;
}

function parseNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || value.trim() === '') fail(`${flag} needs a number, got "${value}"`);
  return number;
}

/** Picks the handlers out of a loaded module: named exports first, else the default export. */
export function pickHandlers(module: Record<string, unknown>): Handlers {
  const picked: Record<string, unknown> = {};
  for (const name of HANDLER_NAMES) {
    if (module[name] !== undefined) picked[name] = module[name];
  }
  if (Object.keys(picked).length > 0) return picked as Handlers;
  const fallback = module.default;
  if (typeof fallback === 'function') {
    // A CommonJS module whose exports object carries the handlers shows them on default too.
    return { http: fallback as Handlers['http'] };
  }
  if (fallback && typeof fallback === 'object') {
    const source = fallback as Record<string, unknown>;
    // Taken as they are and called as createServer() calls them, without `this` (a Hono app's
    // `fetch` is bound already). Not `.bind`: an Express app's `bind` is its route for the WebDAV
    // BIND method, and a bound copy would lose the `handle` that marks a Connect app.
    for (const name of HANDLER_NAMES) {
      if (source[name] !== undefined) picked[name] = source[name];
    }
  }
  return picked as Handlers;
}

async function runServe(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        profile: { type: 'string' },
        limits: { type: 'string' },
        'health-path': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'body-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        'no-markers': { type: 'boolean' },
        'async-context': { type: 'boolean' },
        'format-console': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\nRun 'fc-container serve --help' for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  if (positionals.length !== 1) fail('serve needs exactly one <module>. Run \'fc-container serve --help\'.');
  const path = resolve(process.cwd(), positionals[0]!);
  if (!existsSync(path)) fail(`cannot find module "${positionals[0]}" (looked for ${path})`);
  let module: Record<string, unknown>;
  const limits = values.limits;
  if (limits !== undefined && limits !== 'fc3') fail(`--limits takes "fc3", got "${limits}"`);
  const profile = values.profile;
  if (profile !== undefined && profile !== 'fc2' && profile !== 'fc3') fail(`--profile takes "fc2" or "fc3", got "${profile}"`);
  const options: Options = dropUndefined({
    port: parseNumber(values.port, '--port'),
    host: values.host,
    profile: profile as Profile | undefined,
    limits: limits as LimitsPreset | undefined,
    healthPath: values['health-path'],
    shutdownTimeoutMs: parseNumber(values['shutdown-timeout'], '--shutdown-timeout'),
    headersTimeoutMs: parseNumber(values['headers-timeout'], '--headers-timeout'),
    bodyTimeoutMs: parseNumber(values['body-timeout'], '--body-timeout'),
    logLevel: values['log-level'] as LogThreshold | undefined,
    markers: values['no-markers'] ? false : undefined,
    asyncContext: values['async-context'],
    formatConsole: values['format-console'],
  });
  // A module that calls serve() itself (the one-line migration of an app) gets these options as
  // the defaults of that call.
  setServeDefaults(options);
  loadingModule = positionals[0]!;
  process.on('beforeExit', onIdleWhileLoading);
  try {
    module = await loadModule(path);
  } catch (error) {
    fail(`cannot load "${positionals[0]}": ${describeLoadError(error)}`);
  } finally {
    loadingModule = undefined;
    process.removeListener('beforeExit', onIdleWhileLoading);
  }
  const handlers = pickHandlers(module);
  // The module served itself while loading: it is the server.
  if (Object.keys(handlers).length === 0 && countServeCalls() > 0) return;
  if (Object.keys(handlers).length === 0) {
    fail(`"${positionals[0]}" exports no handler: export one of ${HANDLER_NAMES.join(', ')} (or a default object holding them)`);
  }
  // An option serve() refuses is a usage error; a port it cannot listen on, serve() reports itself
  // (one line, exit 1).
  try {
    await serve(handlers, options);
  } catch (error) {
    fail((error as Error).message);
  }
}

/** The object without its undefined properties: the options the command line gave. */
function dropUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/**
 * The package's version, from the package.json one folder above this file (lib/ from source,
 * dist/ once built; the build defines `import.meta.dirname` as the bundle's `__dirname`). Read
 * only when asked, so a start-up never parses it.
 */
function readVersion(): string {
  return (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${readVersion()}\n`);
    return;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    if (command === undefined) process.exitCode = EXIT_USAGE;
    return;
  }
  if (command === 'serve') return runServe(rest);
  if (command === 'emulate') {
    // Loaded only for this command (its own bundle, dist/emulator.cjs, kept apart by the build),
    // so serve's start-up stays small. From source (tsx, ES modules) there is no `require`.
    const emulator = (typeof require === 'function' ? require('./emulator.js') : await import('./emulator.js')) as typeof import('./emulator.js');
    return emulator.runEmulateCli(rest);
  }
  fail(`unknown command "${command}". Run 'fc-container --help'.`);
}

// No top-level await: the CLI is a CommonJS bundle (dist/cli.cjs). main() settles every failure
// it expects with fail(); anything else is a bug, shown with its stack.
void main(process.argv.slice(2));
