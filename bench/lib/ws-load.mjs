// The WebSocket load generator, with `ws`'s client, run as its own process pinned to the load core
// like wrk or autocannon. Two modes:
//   node ws-load.mjs <url> <connections> <seconds>
//     the websocket section's: `connections` loops, each opening one WebSocket after another (a
//     fresh TCP connection each: handshake, one message and its echo, close), with the bare-TCP
//     client of ws-handshakes.mjs; one `WSJSON {...}` line at the end.
//   node ws-load.mjs <url> <connections> <seconds> echo <bytes>
//     the relay section's: `connections` long-lived WebSockets, each sending a <bytes>-byte binary
//     message and awaiting its echo in a loop. It prints `WSOPEN` once every connection is open
//     and starts at the first line on its stdin (the orchestrator reads the CPU times in between),
//     prints `WSJSON {...}` once the time is up and no message is in flight (the orchestrator reads
//     them again), and keeps the connections open until its stdin ends: the handshakes and the
//     closes stay out of the measurement.
// The orchestrator imports roundTrip() and echoOnce() for its checks that a server echoes.
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { handshakeScript, rawRoundTrip } from './ws-handshakes.mjs';

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
 * server's CPU time read after this process exits covers exactly the handshakes counted). Each
 * loop's connections are ws-handshakes.mjs's bare-TCP ones, checked byte for byte.
 * Returns { handshakes, errors, firstError, seconds, p50, p99 (handshake ms), totalP50 }.
 */
export async function runWsLoad(url, connections, seconds) {
  const { hostname, port } = new URL(url);
  const script = handshakeScript(hostname, Number(port), MESSAGE);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const handshakeMs = [];
  const totalMs = [];
  let errors = 0;
  let firstError;
  const loop = () => new Promise((resolve) => {
    const next = () => {
      if (performance.now() >= deadline) return resolve();
      rawRoundTrip(script, (error, handshake, total) => {
        if (error) {
          errors++;
          firstError ??= `${error.code ?? ''} ${error.message}`.trim();
          // A refusing server must not turn the loop into a busy spin.
          setTimeout(next, 1);
          return;
        }
        handshakeMs.push(handshake);
        totalMs.push(total);
        next();
      });
    };
    next();
  });
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

/** A `bytes`-long binary message of printable ASCII, the relay section's. */
export function echoMessage(bytes) {
  const pattern = 'fc-container relay 0123456789 abcdefghijklmnopqrstuvwxyz ';
  return Buffer.from(pattern.repeat(Math.ceil(bytes / pattern.length)).slice(0, bytes), 'latin1');
}

/** Opens a WebSocket (no permessage-deflate); resolves once it is open. */
function open(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const onError = (error) => { ws.off('open', onOpen); reject(error); };
    const onOpen = () => { ws.off('error', onError); resolve(ws); };
    ws.once('open', onOpen);
    ws.once('error', onError);
  });
}

/**
 * The relay section's check: one connection, `message` sent once and echoed as is, closed.
 * Rejects on anything else.
 */
export async function echoOnce(url, message, { timeoutMs = 5000 } = {}) {
  const ws = await open(url, timeoutMs);
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no echo within ${timeoutMs} ms`)), timeoutMs);
      ws.once('message', (data, isBinary) => {
        clearTimeout(timer);
        if (!isBinary || !Buffer.from(data).equals(message)) reject(new Error(`echo was ${isBinary ? '' : 'text '}${JSON.stringify(String(data).slice(0, 60))}`));
        else resolve();
      });
      ws.once('close', (code) => { clearTimeout(timer); reject(new Error(`closed (${code}) before the echo`)); });
      ws.send(message, { binary: true });
    });
  } finally {
    ws.close(1000);
  }
}

/**
 * The relay section's load: opens `connections` WebSockets, awaits `onOpen()`, then on each sends
 * `message` and awaits its echo, over and over, until `seconds` have passed (a message in flight
 * at the deadline is awaited and counted). A connection that fails or closes stops its loop.
 * Resolves to { connections (opened), messages (echoed), errors, firstError, seconds (from
 * onOpen to the last echo), p50, p99 (echo round trip, ms), sockets } with the sockets still open.
 */
export async function runEchoLoad(url, connections, seconds, message, { onOpen = () => {} } = {}) {
  const opened = await Promise.allSettled(Array.from({ length: connections }, () => open(url, 10_000)));
  const sockets = opened.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  let errors = opened.length - sockets.length;
  let firstError = opened.find((r) => r.status === 'rejected')?.reason;
  firstError = firstError && `${firstError.code ?? ''} ${firstError.message}`.trim();
  await onOpen();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const echoMs = [];
  const loop = (ws) => new Promise((resolve) => {
    let sentAt = 0;
    const fail = (text) => {
      ws.off('close', onClose);
      errors++;
      firstError ??= text;
      ws.off('message', onMessage);
      resolve();
    };
    const send = () => {
      sentAt = performance.now();
      ws.send(message, { binary: true });
    };
    const onMessage = (data, isBinary) => {
      const now = performance.now();
      if (!isBinary || data.length !== message.length || !data.equals(message)) return fail('a wrong echo');
      echoMs.push(now - sentAt);
      if (now < deadline) send();
      else {
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve();
      }
    };
    const onClose = (code) => fail(`closed (${code}) during the run`);
    ws.on('message', onMessage);
    ws.once('close', onClose);
    send();
  });
  await Promise.all(sockets.map(loop));
  const elapsed = (performance.now() - started) / 1000;
  echoMs.sort((a, b) => a - b);
  return {
    connections: sockets.length,
    messages: echoMs.length,
    errors,
    firstError,
    seconds: elapsed,
    p50: percentile(echoMs, 50),
    p99: percentile(echoMs, 99),
    sockets,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url, connections, seconds, mode, bytes] = process.argv.slice(2);
  if (mode === 'echo') {
    // stdin: a first line says go; its end (after WSJSON) says close. An orchestrator gone ends it too.
    let ended = false;
    const end = new Promise((resolve) => process.stdin.once('end', () => { ended = true; resolve(); }));
    const go = new Promise((resolve) => { process.stdin.once('data', resolve); end.then(resolve); });
    const { sockets, ...r } = await runEchoLoad(url, Math.max(1, Number(connections)), Number(seconds), echoMessage(Number(bytes)), {
      onOpen: async () => {
        process.stdout.write('WSOPEN\n');
        await go;
      },
    });
    process.stdout.write(`WSJSON ${JSON.stringify(r)}\n`);
    if (!ended) await end;
    await Promise.all(sockets.map((ws) => new Promise((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', resolve);
      ws.close(1000);
    })));
  } else {
    const r = await runWsLoad(url, Math.max(1, Number(connections)), Number(seconds));
    process.stdout.write(`WSJSON ${JSON.stringify(r)}\n`);
  }
}
