// Load generators: wrk when it is on PATH (a C client, one thread), else autocannon in its own
// child process. Either runs pinned to the load core, off the server's core.
import { execFileSync } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { runCommand } from './procs.mjs';

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Picks the load generator: BENCH_LOADGEN=wrk|autocannon forces one; else wrk if found. */
export function detectLoadGenerator(root, forced) {
  const wrk = which('wrk');
  if (forced !== 'autocannon' && wrk) {
    let version = 'wrk';
    try {
      execFileSync(wrk, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      // wrk --version prints its banner and exits 1.
      version = String(error.stdout || error.stderr || 'wrk').split('\n')[0].split(' Copyright')[0].trim();
    }
    return { kind: 'wrk', bin: wrk, version };
  }
  if (forced === 'wrk') throw new Error('BENCH_LOADGEN=wrk but wrk is not on PATH');
  const require = createRequire(join(root, 'package.json'));
  let pkgPath;
  try {
    pkgPath = require.resolve('autocannon/package.json');
  } catch {
    throw new Error('no load generator: install wrk (apt-get install -y wrk) or run npm install (autocannon)');
  }
  const { version } = require(pkgPath);
  return { kind: 'autocannon', bin: join(pkgPath, '..', 'autocannon.js'), version: `autocannon ${version}` };
}

const LUA_DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;

/** Scripts and bodies get a file each: two load generators run at once (the pairs section). */
let serial = 0;

/** Writes the wrk Lua script for a workload; returns its path. */
function wrkScript(dir, workload) {
  // Its own file: rewriting one another wrk is still reading gave that wrk an empty script.
  const path = join(dir, `wrk-${workload.name}-${++serial}.lua`);
  let lua = '';
  if (workload.method !== 'GET') lua += `wrk.method = "${workload.method}"\n`;
  for (const [name, value] of Object.entries(workload.headers ?? {})) lua += `wrk.headers["${name}"] = "${value}"\n`;
  if (workload.body) lua += `wrk.body = "${workload.body.toString('latin1').replace(/[\\"]/g, '\\$&')}"\n`;
  writeFileSync(path, lua + LUA_DONE);
  return path;
}

function autocannonBody(dir, workload) {
  const path = join(dir, `body-${workload.name}-${++serial}.bin`);
  writeFileSync(path, workload.body);
  return path;
}

/**
 * Runs one load test: `connections` connections for `seconds` against `url` with the workload's
 * method, headers and body. Returns { rps, requests, seconds, p50, p90, p99, max (ms), errors, non2xx }.
 */
export async function runLoad(gen, { url, workload, seconds, connections, core, tmpDir }) {
  const secs = Math.max(1, Math.round(seconds));
  if (gen.kind === 'wrk') {
    const script = wrkScript(tmpDir, workload);
    const { stdout } = await runCommand(gen.bin, ['-t1', `-c${connections}`, `-d${secs}s`, '--timeout', '10s', '-s', script, url], { core, timeoutMs: (secs + 30) * 1000 });
    const line = stdout.split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`wrk printed no summary: ${stdout.slice(-500)}`);
    const r = JSON.parse(line.slice(8));
    const duration = r.duration_us / 1e6;
    return {
      rps: r.requests / duration,
      requests: r.requests,
      seconds: duration,
      p50: r.p50 / 1000,
      p90: r.p90 / 1000,
      p99: r.p99 / 1000,
      max: r.max / 1000,
      errors: r.connect + r.read + r.write + r.timeout,
      non2xx: r.status,
    };
  }
  const args = [gen.bin, '-c', String(connections), '-d', String(secs), '-m', workload.method, '--json', '--no-progress'];
  for (const [name, value] of Object.entries(workload.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (workload.body) args.push('-i', autocannonBody(tmpDir, workload));
  args.push(url);
  const { stdout } = await runCommand(process.execPath, args, { core, timeoutMs: (secs + 30) * 1000, env: { ...process.env, PORT: '' } });
  const start = stdout.indexOf('{');
  const r = JSON.parse(stdout.slice(start));
  const duration = r.duration;
  return {
    rps: r.requests.total / duration,
    requests: r.requests.total,
    seconds: duration,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}
