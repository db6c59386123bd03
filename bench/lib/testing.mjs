// The testing client's cost (fc-container/testing): the median time of one `fc.invoke(event)`
// against the median time of calling the same handler directly, in one process pinned to the
// server core, calls interleaved in blocks (client, direct, client, ...) so both see the same
// machine. The client's path: its FC headers, a keep-alive loopback request through Node's HTTP
// parser, the runtime (markers captured into result.logs), the answer read back.
//   node bench/lib/testing.mjs run <calls>    one measurement, printed as `TESTINGJSON {...}`
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ROOT } from './config.mjs';
import { pinned } from './procs.mjs';
import { median } from './stats.mjs';

const SELF = fileURLToPath(import.meta.url);
const BLOCK = 50;

async function run(calls) {
  const { createTestClient } = await import(pathToFileURL(join(ROOT, 'dist', 'testing.js')).href);
  const invoke = (event) => ({ ok: event.length });
  const fc = createTestClient({ invoke });
  const event = { order: 1, items: ['tea', 'cake'] };
  // What a direct call does: the event as the bytes the handler would get, the handler awaited.
  const direct = async () => invoke(Buffer.from(JSON.stringify(event)));
  for (let i = 0; i < 500; i++) await fc.invoke(event); // warm-up (and the server's first listen)
  for (let i = 0; i < 500; i++) await direct();
  const client = [];
  const plain = [];
  for (let done = 0; done < calls; done += BLOCK) {
    for (let i = 0; i < BLOCK; i++) {
      const started = performance.now();
      await fc.invoke(event);
      client.push((performance.now() - started) * 1000);
    }
    for (let i = 0; i < BLOCK; i++) {
      const started = performance.now();
      await direct();
      plain.push((performance.now() - started) * 1000);
    }
  }
  await fc.close();
  return { calls: client.length, clientUs: median(client), directUs: median(plain), overheadUs: median(client) - median(plain) };
}

/** Runs `rounds` measurements, each in a fresh process on the server core. */
export async function measureTesting(ctx) {
  const { config } = ctx;
  const rounds = [];
  for (let round = 0; round < config.rounds; round++) {
    const [command, argv] = pinned(ctx.serverCore, process.execPath, [SELF, 'run', String(config.testingCalls)]);
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const [code] = await once(child, 'exit');
    const line = stdout.split('\n').find((l) => l.startsWith('TESTINGJSON '));
    const result = code === 0 && line ? JSON.parse(line.slice(12)) : { error: `exit ${code}: ${stderr.slice(-200)}` };
    rounds.push(result);
    ctx.progress(`testing: round ${round + 1}/${config.rounds}: ${result.error ?? `${result.clientUs.toFixed(1)} us per invoke, ${result.directUs.toFixed(2)} us direct`}`);
  }
  const good = rounds.filter((r) => !r.error);
  return {
    rounds,
    overheadUs: median(good.map((r) => r.overheadUs)),
    clientUs: median(good.map((r) => r.clientUs)),
    directUs: median(good.map((r) => r.directUs)),
    failed: good.length === 0,
  };
}

if (process.argv[1] === SELF && process.argv[2] === 'run') {
  const result = await run(Number(process.argv[3]) || 2000);
  process.stdout.write(`TESTINGJSON ${JSON.stringify(result)}\n`);
}
