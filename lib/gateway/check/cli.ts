/**
 * `fc-container emulate --check [--json] [--long] [--idle s] [--trickle s] [--event file|text]
 * [--http] [--http-path p] [the emulator's options] -- <command...>` (or `--target <url>`): the
 * conformance report, one line per check (or `--json`), exit 1 when a check FAILs, 2 on a usage
 * error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolveGatewayOptions, type GatewayOptions } from '../options.js';
import { UsageError } from '../usage-error.js';
import { formatJsonReport, formatReport } from './report.js';
import { runCheck, type CheckOptions } from './run.js';

/** The flags `--check` adds, each with whether it takes a value. */
const CHECK_FLAGS: Readonly<Record<string, boolean>> = { '--check': false, '--json': false, '--long': false, '--http': false, '--idle': true, '--trickle': true, '--event': true, '--http-path': true };

/** Whether the emulator's arguments (before `--`) ask for the check. */
export function isCheck(args: readonly string[]): boolean {
  const separator = args.indexOf('--');
  return (separator === -1 ? args : args.slice(0, separator)).includes('--check');
}

function parseNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} takes a number of seconds > 0, got "${value}"`);
  return n;
}

/** Runs the check; sets the exit code. `parseEmulateArgs` reads the emulator's own options (lib/gateway/cli.ts). */
export async function runCheckCli(args: readonly string[], parseEmulateArgs: (args: readonly string[]) => GatewayOptions | 'help'): Promise<void> {
  const separator = args.indexOf('--');
  const flags = separator === -1 ? [...args] : args.slice(0, separator);
  const rest: string[] = [];
  const values: Record<string, string | true> = {};
  try {
    for (let i = 0; i < flags.length; i++) {
      const flag = flags[i]!;
      if (!(flag in CHECK_FLAGS)) {
        rest.push(flag);
        continue;
      }
      if (!CHECK_FLAGS[flag]) {
        values[flag] = true;
        continue;
      }
      const value = flags[++i];
      if (value === undefined) throw new UsageError(`${flag} takes a value`);
      values[flag] = value;
    }
    const emulator = parseEmulateArgs(separator === -1 ? rest : [...rest, ...args.slice(separator)]);
    if (emulator === 'help') throw new UsageError('see fc-container emulate --help');
    const options = resolveGatewayOptions({ stopTimeout: 5, timeout: 10, ...emulator });
    const long = values['--long'] === true;
    const event = typeof values['--event'] === 'string' ? values['--event'] : '{}';
    const check: CheckOptions = {
      idle: typeof values['--idle'] === 'string' ? [parseNumber(values['--idle'], '--idle')] : long ? [7, 66, 960] : [7],
      trickle: typeof values['--trickle'] === 'string' ? parseNumber(values['--trickle'], '--trickle') : long ? 310 : 0,
      event: existsSync(event) ? readFileSync(event) : Buffer.from(event),
      httpPath: typeof values['--http-path'] === 'string' ? values['--http-path'] : values['--http'] === true ? '/' : undefined,
    };
    const results = await runCheck(options, check);
    process.stdout.write(values['--json'] === true ? formatJsonReport(results) : formatReport(results));
    process.exitCode = results.some((r) => r.verdict === 'FAIL') ? 1 : 0;
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`fc-container emulate --check: ${error.message}\n`);
    process.exitCode = 2;
  }
}
