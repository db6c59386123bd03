// The websocket section's load generator: `connections` loops, each opening one WebSocket after
// another (a fresh TCP connection each: handshake, one message and its echo, close) for a fixed
// time, with `ws`'s client. Run as its own process (`node ws-load.mjs <url> <connections>
// <seconds>`), pinned to the load core like wrk or autocannon, it prints one `WSJSON {...}`
// line. The orchestrator imports roundTrip() for its check that a server echoes.
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

/** The one message each connection sends; the server must echo it as is. */
export const MESSAGE = 'fc-container bench';

/**
 * One connection's life: handshake, MESSAGE and its echo, a 1000 close from the client, the TCP
 * connection closed. Resolves to { handshakeMs, totalMs }; rejects on anything else (an HTTP
 * answer instead of 101, a wrong echo, the server closing first).
 */
export function roundTrip(url, { timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let opened = NaN;
    let echoed = false;
    let failure;
    // No permessage-deflate offer: neither server enables it, and the handshake stays minimal.
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => {
      failure ??= new Error(`no close within ${timeoutMs} ms`);
      ws.terminate();
    }, timeoutMs);
    ws.on('open', () => {
      opened = performance.now();
      ws.send(MESSAGE);
    });
    ws.on('message', (data) => {
      if (String(data) !== MESSAGE) failure ??= new Error(`echo was ${JSON.stringify(String(data).slice(0, 60))}`);
      else echoed = true;
      ws.close(1000);
    });
    ws.on('error', (error) => { failure ??= error; });
    // 'close' comes last, after 'error' too: settle there, once.
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!failure && !echoed) failure = new Error(`closed (${code}) before the echo`);
      if (failure) reject(failure);
      else resolve({ handshakeMs: opened - started, totalMs: performance.now() - started });
    });
  });
}

function percentile(sortedValues, p) {
  if (sortedValues.length === 0) return NaN;
  return sortedValues[Math.min(sortedValues.length - 1, Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1))];
}

/**
 * Runs the loops until `seconds` have passed, then lets the connections in flight finish (so the
 * server's CPU time read after this process exits covers exactly the handshakes counted).
 * Returns { handshakes, errors, firstError, seconds, p50, p99 (handshake ms), totalP50 }.
 */
export async function runWsLoad(url, connections, seconds) {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const handshakeMs = [];
  const totalMs = [];
  let errors = 0;
  let firstError;
  const loop = async () => {
    while (performance.now() < deadline) {
      try {
        const r = await roundTrip(url);
        handshakeMs.push(r.handshakeMs);
        totalMs.push(r.totalMs);
      } catch (error) {
        errors++;
        firstError ??= `${error.code ?? ''} ${error.message}`.trim();
        await sleep(1); // a refusing server must not turn the loop into a busy spin
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  handshakeMs.sort((a, b) => a - b);
  totalMs.sort((a, b) => a - b);
  return {
    handshakes: handshakeMs.length,
    errors,
    firstError,
    seconds: elapsed,
    p50: percentile(handshakeMs, 50),
    p99: percentile(handshakeMs, 99),
    totalP50: percentile(totalMs, 50),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url, connections, seconds] = process.argv.slice(2);
  const r = await runWsLoad(url, Math.max(1, Number(connections)), Number(seconds));
  process.stdout.write(`WSJSON ${JSON.stringify(r)}\n`);
}
