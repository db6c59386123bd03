// Memory: idle RSS after start, peak RSS (VmHWM) after 6 MiB events; and the oversize test: a
// 7 MiB event to the variants that enforce FC's limit, the status, the time to the answer, and the
// server's VmHWM afterwards (the upload must not be read into memory).
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest, keepAliveAgent } from './client.mjs';
import { launch, shutdown, describeExit } from './server.mjs';
import { waitForQuiet } from './quiet.mjs';
import { readMemory, waitForText } from './procs.mjs';
import { median, percentile } from './stats.mjs';

const MIB = 1024 * 1024;

async function startIdle(ctx, variant, tag) {
  const proc = await launch(ctx, variant, tag);
  await waitForText(proc.logPath, `ready ${variant.name}`, { timeoutMs: 15_000, everyMs: 5, proc });
  return proc;
}

export async function measureMemory(ctx) {
  const { config } = ctx;
  const event = Buffer.alloc(config.bigEvent, 0x61);
  const rows = [];
  for (const variant of config.variants) {
    const idle = [];
    const peak = [];
    const afterRss = [];
    let error;
    for (let run = 0; run < config.memRuns && !error; run++) {
      let proc;
      try {
        proc = await startIdle(ctx, variant, `mem${run}`);
        await sleep(config.idleWaitMs);
        const memIdle = readMemory(proc.pid);
        if (memIdle.name !== 'node') throw new Error(`pid ${proc.pid} is ${memIdle.name}, not node`);
        idle.push(memIdle.rss);
        const agent = keepAliveAgent();
        try {
          const init = await httpRequest({ port: proc.port, method: 'POST', path: '/initialize', agent });
          if (init.status !== 200) throw new Error(`POST /initialize -> ${init.status}`);
          for (let i = 0; i < config.memInvocations; i++) {
            const res = await httpRequest({
              port: proc.port, method: 'POST', path: '/invoke', agent, discardBody: true,
              headers: { 'content-type': 'application/octet-stream', 'content-length': event.length }, body: event,
            });
            if (res.status !== 200 || res.size !== event.length) throw new Error(`6 MiB POST /invoke -> ${res.status}, ${res.size} bytes back`);
          }
        } finally {
          agent.destroy();
        }
        const mem = readMemory(proc.pid);
        peak.push(mem.hwm);
        afterRss.push(mem.rss);
      } catch (e) {
        error = e.message + (proc?.isDead() ? `; ${describeExit(proc)}` : '');
      } finally {
        if (proc) await shutdown(ctx, proc);
      }
    }
    rows.push({
      name: variant.name,
      idleRss: median(idle),
      idleSamples: idle,
      peakHwm: median(peak),
      peakSamples: peak,
      rssAfter: median(afterRss),
      error,
    });
    ctx.progress(`memory: ${variant.name} idle ${(median(idle) / MIB).toFixed(1)} MiB, peak ${(median(peak) / MIB).toFixed(1)} MiB${error ? ` (${error})` : ''}`);
  }
  return rows;
}

/**
 * One oversize upload on a fresh keep-alive connection: resolves when the response has ended and
 * the request body has been written (or the connection dropped). `ms` is the time to the response
 * headers.
 */
function uploadOnce(port, body) {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let answer;
    let written = false;
    let ended = false;
    const settle = () => {
      if (answer && (written || ended)) {
        agent.destroy();
        resolve(answer);
      }
    };
    const started = performance.now();
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: '/invoke', agent,
      headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
    }, (res) => {
      const ms = performance.now() - started;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        answer = { status: res.statusCode, ms, body: Buffer.concat(chunks).toString().slice(0, 200) };
        settle();
      });
    });
    req.on('finish', () => { written = true; settle(); });
    req.on('close', () => { ended = true; settle(); });
    req.on('error', (error) => {
      ended = true;
      if (answer) settle();
      else { agent.destroy(); reject(error); }
    });
    req.end(body);
  });
}

export async function measureOversize(ctx) {
  const { config } = ctx;
  const body = Buffer.alloc(config.oversizeEvent, 0x62);
  const rows = [];
  for (const variant of config.variants.filter((v) => v.limit)) {
    let proc;
    const times = [];
    const statuses = [];
    let error;
    let hwmBefore = NaN;
    let hwmAfter = NaN;
    try {
      proc = await startIdle(ctx, variant, 'oversize');
      const init = await httpRequest({ port: proc.port, method: 'POST', path: '/initialize' });
      if (init.status !== 200) throw new Error(`POST /initialize -> ${init.status}`);
      hwmBefore = readMemory(proc.pid).hwm;
      await waitForQuiet(ctx);
      for (let i = 0; i < config.oversizeRuns; i++) {
        const answer = await uploadOnce(proc.port, body);
        times.push(answer.ms);
        statuses.push(answer.status);
      }
      await sleep(100);
      hwmAfter = readMemory(proc.pid).hwm;
    } catch (e) {
      error = e.message + (proc?.isDead() ? `; ${describeExit(proc)}` : '');
    } finally {
      if (proc) await shutdown(ctx, proc);
    }
    const statusSet = [...new Set(statuses)];
    rows.push({
      name: variant.name,
      statuses: statusSet,
      all400: statuses.length > 0 && statusSet.length === 1 && statusSet[0] === 400,
      median: median(times),
      p90: percentile(times, 90),
      samples: times,
      hwmBefore,
      hwmAfter,
      error,
    });
    ctx.progress(`oversize: ${variant.name} ${statusSet.join('/')} in ${median(times).toFixed(2)} ms${error ? ` (${error})` : ''}`);
  }
  return rows;
}
