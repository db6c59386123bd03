// The markdown report.
import { FLOOR } from './coldstart.mjs';
import { BARE } from './image.mjs';
import { RUNS_CONFIDENCE, ROUNDS_CONFIDENCE } from './targets.mjs';
import { median, medianInterval, pairedRatios } from './stats.mjs';
import { MIB, int, ms, mib, x, pct, table } from './format.mjs';
import { renderPairs } from './report-pairs.mjs';


export function renderReport({ machine, config, results, targets, elapsedMs }) {
  const out = [];
  out.push(`# fc-container benchmark${config.smoke ? ' (smoke)' : ''}`);
  out.push('');
  out.push(table(['machine', ''], [
    ['CPU', `${machine.cpu} (${machine.cores} cores)`],
    ['Node.js', machine.node],
    ['OS', machine.os],
    ['load generator', machine.loadgen],
    ['pinning', machine.pinning],
    ['date', machine.date],
    ['settings', `${config.duration} s per measurement, ${config.warmup} s warm-up per workload, ${config.rounds} round(s), ${config.connections} connections, ${config.coldRuns} cold runs, ${config.imageRuns} image runs, ${config.memRuns} memory run(s) x ${config.memInvocations} invocations`],
    ['run time', `${(elapsedMs / 1000).toFixed(0)} s`],
    ['other load', Object.keys(results.otherLoad ?? {}).length
      ? Object.entries(results.otherLoad).map(([name, share]) => `${name} ${pct(share)}`).join(', ') + ' of the cores used by processes outside the benchmark'
        + `; waited ${((results.quietWaitedMs ?? 0) / 1000).toFixed(0)} s for quiet, re-measured ${results.retried ?? 0} disturbed throughput, websocket or relay run(s) (patience ${(config.patienceMs / 1000).toFixed(0)} s)`
      : 'n/a'],
  ]));
  out.push('');

  out.push('## Targets');
  out.push('');
  out.push(table(['target', 'result', 'measured', 'threshold', 'noise'], targets.map((t) => [t.title, `**${t.verdict}**`, t.value, t.threshold, t.noise])));
  out.push('');
  out.push('Comparisons are judged on the median of paired ratios (the two variants compared in the same throughput round, or the same cold-start or image run, so both saw the same machine), with a distribution-free confidence interval of that median from its order statistics (the noise column): PASS when the whole interval clears the threshold, FAIL when none of it does, TIE when it straddles the threshold. Memory: TIE when the value is within the run-to-run range of the threshold.');
  out.push('');
  if (results.throughput) {
    // Req/s on a shared VM swings with the host; the server's CPU time per request is steadier.
    // Paired like the targets: fc-container's CPU per request over the other's in the same round.
    const cpuOf = (row) => row.rounds.map((rd) => (rd.error ? NaN : rd.cpuUsPerRequest));
    const cpuLine = results.throughput.map((t) => {
      const find = (name) => t.rows.find((r) => r.name === name && !r.failed);
      const fc = find('fc-container');
      if (!fc) return null;
      const parts = ['raw-fc', 'fastify', 'raw'].map((name) => {
        const other = find(name);
        if (!other) return null;
        const paired = pairedRatios(cpuOf(fc), cpuOf(other)).filter(Number.isFinite);
        const { lo, hi, coverage } = medianInterval(paired, 0.9);
        return `${x(median(paired))} ${name} (${ms(lo, 3)}-${ms(hi, 3)}, ${(coverage * 100).toFixed(1)}% CI)`;
      }).filter(Boolean);
      return `${t.workload}: ${ms(fc.cpuUsPerRequest, 1)} us, ${parts.join(', ')}`;
    }).filter(Boolean);
    if (cpuLine.length) {
      out.push(`For reference (not a target): fc-container's server CPU time per request (median of rounds) and the median of its per-round paired ratios to the others' (below 1: less CPU per request): ${cpuLine.join('; ')}.`);
      out.push('');
    }
  }

  if (results.throughput) {
    for (const t of results.throughput) {
      out.push(`## Throughput: ${t.title}`);
      out.push('');
      out.push(table(
        ['variant', 'req/s (median)', 'x raw', 'x raw-fc', 'p50 ms', 'p99 ms', 'spread', 'per-round req/s', 'server CPU us/req (user)', 'server core busy', 'other load (max)', 'log B/req'],
        t.rows.map((r) => r.failed
          ? [r.name, `FAILED: ${r.errors.join('; ').slice(0, 200)}`, '', '', '', '', '', '', '', '', '', '']
          : [
            r.name,
            int(r.rps),
            r.name === 'raw' ? '1.00x' : x(r.vsRaw.median),
            r.name === 'raw-fc' ? '1.00x' : x(r.vsRawFc.median),
            ms(r.p50),
            ms(r.p99),
            pct(r.spread),
            r.rounds.map((rd) => (rd.error ? 'fail' : `${int(rd.rps)}${rd.disturbed ? '*' : ''}`)).join(' / '),
            `${ms(r.cpuUsPerRequest, 1)} (${ms(r.userUsPerRequest, 1)})`,
            pct(r.cpuBusy),
            pct(r.foreignMax),
            Number.isFinite(r.logBytesPerRequest) ? r.logBytesPerRequest.toFixed(0) : 'n/a',
          ]),
      ));
      const fc = t.rows.find((r) => r.name === 'fc-container');
      if (fc && !fc.failed && fc.vsRawFc.perRound.length) {
        out.push('');
        const rawFc = t.rows.find((r) => r.name === 'raw-fc');
        const cpuNote = rawFc && !rawFc.failed
          ? ` Server CPU per request: fc-container ${ms(fc.cpuUsPerRequest, 1)} us, raw-fc ${ms(rawFc.cpuUsPerRequest, 1)} us (${x(fc.cpuUsPerRequest / rawFc.cpuUsPerRequest)}).`
          : '';
        out.push(`fc-container / raw-fc per round: ${fc.vsRawFc.perRound.map((v) => v.toFixed(3)).join(', ') || 'n/a'}; fc-container / fastify per round: ${fc.vsFastify.perRound.map((v) => v.toFixed(3)).join(', ') || 'n/a'}.${cpuNote}`);
      }
      out.push('');
    }
    out.push(`x raw and x raw-fc are medians of per-round paired ratios (same round, fresh processes). spread = (max-min)/median of the rounds' req/s. server CPU us/req = the server process's CPU time (user + system, from /proc/<pid>/stat) during the measurement divided by the requests answered, user time in brackets; server core busy = that CPU time / wall time (below 100%: the server waited for the load generator's core); other load = CPU used meanwhile by processes outside this benchmark, as a share of all cores (highest round); before each measurement the run waits (up to ${config.quietWaitMs / 1000} s) for that to drop under ${pct(config.quietShare)}, a measurement still above it is taken again (up to ${config.retries} time(s), within the run's patience, the least disturbed kept), and a round marked * was disturbed. log B/req = bytes the server wrote to its stdout file per request (markers).`);
    out.push('');
  }

  if (results.pairs) renderPairs(out, config, results.pairs);
  if (results.websocket) renderWebSocket(out, config, results.websocket);
  if (results.testing) renderTesting(out, config, results.testing);
  if (results.relay) renderRelay(out, config, results.relay);

  if (results.cold) {
    const byGet = config.variants.filter((v) => v.coldPath === 'get').map((v) => v.name);
    out.push(`## Cold start: spawn to first 200 of POST /initialize${byGet.length ? ` (of GET /api/hello for ${byGet.join(', ')})` : ''} (${config.coldRuns} runs)`);
    out.push('');
    const raw = results.cold.find((r) => r.name === 'raw');
    out.push(table(['variant', 'median ms', 'p90 ms', 'min ms', 'x raw'], results.cold.map((r) => r.error && !r.samples.length
      ? [r.name, `FAILED: ${r.error.slice(0, 200)}`, '', '', '']
      : [r.name === FLOOR ? `${FLOOR} (floor, spawn to exit)` : r.name, ms(r.median, 1), ms(r.p90, 1), ms(r.min, 1), raw && r.name !== 'raw' ? x(r.median / raw.median) : r.name === 'raw' ? '1.00x' : 'n/a'])));
    out.push('');
    out.push('Each run spawns `taskset -c <server core> node <server>` with stdout to a file and polls the port every 2 ms; runs are interleaved across variants.');
    out.push('');
  }

  if (results.image) {
    const image = results.image;
    out.push(`## Image: the packed package installed, spawn to first 200 of POST /invoke (${config.imageRuns} runs)`);
    out.push('');
    if (image.error) {
      out.push(`FAILED: ${image.error.slice(0, 300)}`);
    } else {
      const bare = image.rows.find((r) => r.name === BARE);
      out.push(table(['variant', 'median ms', 'p90 ms', 'min ms', 'x bare'], image.rows.map((r) => r.error && !r.samples.length
        ? [r.label, `FAILED: ${r.error.slice(0, 200)}`, '', '', '']
        : [r.label, ms(r.median, 1), ms(r.p90, 1), ms(r.min, 1), r.name === BARE ? '1.00x' : bare ? x(r.median / bare.median) : 'n/a'])));
      out.push('');
      const pairedText = Object.entries(image.paired).map(([name, ratios]) => {
        const { lo, hi, coverage } = medianInterval(ratios, RUNS_CONFIDENCE);
        const label = name === 'readme-cmd' ? "the README's CMD" : 'node serve.mjs';
        return ratios.length
          ? `${label} / bare ${ms(median(ratios), 3)}x (${ms(lo, 3)}-${ms(hi, 3)}, ${(coverage * 100).toFixed(1)}% CI, ${ratios.length} paired runs; lowest ${ms(Math.min(...ratios), 3)}, highest ${ms(Math.max(...ratios), 3)})`
          : `${label} / bare: n/a`;
      });
      out.push(`Paired per run (each variant over bare node:http in the same run), median: ${pairedText.join('; ')}.`);
      out.push('');
      const { footprint, tarball } = image;
      out.push(`Installed footprint: ${footprint.packages.length} package(s) in the consumer's node_modules (${footprint.packages.join(', ') || 'none'}), ${int(footprint.bytes)} bytes (${(footprint.bytes / 1024).toFixed(1)} KiB) on disk, the sum of its ${footprint.files} files' sizes; tarball ${tarball.filename}, ${int(tarball.size)} bytes (${(tarball.size / 1024).toFixed(1)} KiB). Packed in ${ms(image.packMs / 1000, 1)} s and installed in ${ms(image.installMs / 1000, 1)} s, once, before the runs.`);
      out.push('');
      out.push('The package is packed with `npm pack --ignore-scripts` (dist/ as built) and installed with `npm install --omit=dev --offline` into a fresh folder outside the repository, with the README\'s handler.mjs and a serve.mjs that calls `serve({ initialize, invoke })` with its two handlers. The README\'s CMD is read from its ```dockerfile block and run as written (`node` being this Node.js). Each run spawns every variant from that folder, `taskset -c <server core>`, NODE_ENV=production, a free port in FC_CUSTOM_LISTEN_PORT (and PORT, which bare node:http reads), stdout to a file, and polls `POST /invoke` with a small JSON event every 2 ms; the order rotates run by run.');
    }
    out.push('');
  }

  if (results.memory) {
    out.push(`## Memory (median of ${config.memRuns} process(es))`);
    out.push('');
    const raw = results.memory.find((r) => r.name === 'raw');
    out.push(table(['variant', 'idle RSS MiB', 'vs raw', `peak RSS (VmHWM) after ${config.memInvocations} x 6 MiB MiB`, 'x raw', 'RSS after MiB'], results.memory.map((r) => [
      r.name + (r.error ? ` (FAILED: ${r.error.slice(0, 160)})` : ''),
      mib(r.idleRss),
      raw ? `${r.idleRss - raw.idleRss >= 0 ? '+' : ''}${((r.idleRss - raw.idleRss) / MIB).toFixed(2)} MiB` : 'n/a',
      mib(r.peakHwm),
      raw ? x(r.peakHwm / raw.peakHwm) : 'n/a',
      mib(r.rssAfter),
    ])));
    out.push('');
    out.push('Idle: VmRSS 300 ms after the ready line, no request served. Peak: VmHWM after POST /initialize and the 6 MiB (6291456-byte, exactly the limit) events, one at a time on one keep-alive connection, each echoed back.');
    out.push('');
  }

  if (results.oversize) {
    out.push(`## Oversize: 7 MiB event (${config.oversizeRuns} uploads, each on a fresh connection)`);
    out.push('');
    out.push(table(['variant', 'status', 'median ms to response', 'p90 ms', 'VmHWM before MiB', 'VmHWM after MiB'], results.oversize.map((r) => [
      r.name + (r.error ? ` (FAILED: ${r.error.slice(0, 160)})` : ''),
      r.statuses.join('/') || 'n/a',
      ms(r.median),
      ms(r.p90),
      mib(r.hwmBefore),
      mib(r.hwmAfter),
    ])));
    out.push('');
    out.push('Time from sending the request to its response headers (the client is still uploading: the refusal comes from content-length, before the body). The server then reads and drops the rest of the body so the client gets the 400 rather than a reset; VmHWM after - before is those dropped 64 KiB reads awaiting garbage collection, not a buffered body (none is kept).');
    out.push('');
  }

  if (results.imports || results.pack) {
    out.push('## Import cost and package size');
    out.push('');
    if (results.imports) {
      out.push(table(['module', 'median ms', 'p90 ms'], results.imports.map((r) => [
        r.specifiers.map((spec) => `${r.loader ?? 'import'}('${spec}')`).join(' + '), r.error ? `FAILED: ${r.error.slice(0, 160)}` : ms(r.median), ms(r.p90),
      ])));
      out.push('');
      out.push(`An import() row: time to \`await import(...)\` (all of its modules at once) in a fresh \`node --input-type=module -e\` process. The require() row: time to \`require('fc-container')\` in a fresh \`node --input-type=commonjs -e\` process (the CommonJS build, dist/index.cjs, without the ES module entry in front of it). All resolved from the package root; each run times every row in turn, median of ${config.importRuns}.`);
      out.push('');
    }
    if (results.pack) {
      out.push(results.pack.error
        ? `npm pack --dry-run: FAILED: ${results.pack.error}`
        : `npm pack --dry-run: ${results.pack.filename}, packed ${(results.pack.size / 1024).toFixed(1)} KiB, unpacked ${(results.pack.unpackedSize / 1024).toFixed(1)} KiB, ${results.pack.entryCount} files.`);
      out.push('');
    }
  }

  if (results.notes?.length) {
    out.push('## Notes');
    out.push('');
    for (const note of results.notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}

/** The websocket section: a row per variant, then the paired per-round ratios. */
function renderTesting(out, config, testing) {
  out.push('## fc-container/testing: one invoke against a direct call of the handler');
  out.push('');
  out.push('| round | fc.invoke() us (median) | direct call us (median) | overhead us |');
  out.push('| ---: | ---: | ---: | ---: |');
  testing.rounds.forEach((r, i) => out.push(r.error ? `| ${i + 1} | failed: ${r.error.slice(0, 80)} | | |` : `| ${i + 1} | ${r.clientUs.toFixed(1)} | ${r.directUs.toFixed(2)} | ${r.overheadUs.toFixed(1)} |`));
  out.push('');
  out.push(`Each round is a fresh process on the server core: ${config.testingCalls} sequential \`fc.invoke({ order: 1, items: [...] })\` calls of one client (FC's headers, a keep-alive loopback request through Node's HTTP parser, the runtime with its markers taken into \`result.logs\`, the answer read) against as many direct \`await handler(Buffer)\` calls, in alternating blocks of 50, after 500 of each as warm-up.`);
  out.push('');
}

function renderWebSocket(out, config, ws) {
  out.push(`## WebSocket: handshake, one message echoed, close (${config.connections} connections, ${ws.client} client)`);
  out.push('');
  out.push(table(
    ['variant', 'handshakes/s (median)', 'server CPU us/handshake (user)', 'per-round handshakes/s', 'per-round CPU us/handshake', 'handshake p50 ms', 'p99 ms', 'spread', 'server core busy', 'other load (max)', 'log B/handshake'],
    ws.rows.map((r) => r.failed
      ? [r.name, `FAILED: ${r.errors.join('; ').slice(0, 200)}`, '', '', '', '', '', '', '', '', '']
      : [
        r.name,
        int(r.rate),
        `${ms(r.cpuUsPerHandshake, 1)} (${ms(r.userUsPerHandshake, 1)})`,
        r.rounds.map((rd) => (rd.error ? 'fail' : `${int(rd.rate)}${rd.disturbed ? '*' : ''}`)).join(' / '),
        r.rounds.map((rd) => (rd.error ? 'fail' : ms(rd.cpuUsPerHandshake, 1))).join(' / '),
        ms(r.p50),
        ms(r.p99),
        pct(r.spread),
        pct(r.cpuBusy),
        pct(r.foreignMax),
        Number.isFinite(r.logBytesPerHandshake) ? r.logBytesPerHandshake.toFixed(0) : 'n/a',
      ]),
  ));
  out.push('');
  const perRound = (ratios) => ratios.map((v) => (Number.isFinite(v) ? v.toFixed(3) : 'fail')).join(', ') || 'n/a';
  const cpu = ws.cpuRatio.filter(Number.isFinite);
  const { lo, hi, coverage } = medianInterval(cpu, ROUNDS_CONFIDENCE);
  out.push(`ws-fc-container / ws-raw, paired per round: server CPU per handshake ${x(median(cpu))} median (${ms(lo, 3)}-${ms(hi, 3)}, ${(coverage * 100).toFixed(1)}% CI; per round ${perRound(ws.cpuRatio)}); handshakes/s ${x(median(ws.rateRatio.filter(Number.isFinite)))} median (per round ${perRound(ws.rateRatio)}).`);
  out.push('');
  out.push(`Each handshake is a fresh TCP connection from bench/lib/ws-load.mjs (${config.connections} loops of bench/lib/ws-handshakes.mjs's bare-TCP client, so the server's core sets the rate: the 101 checked for its Sec-WebSocket-Accept, one 18-byte text message and its echo checked byte for byte, a close 1000 and the server's, the TCP close), in its own process on the load generator's core; handshakes/s counts completed connections over the run, the stragglers included. ws-raw: node:http with \`new WebSocketServer({ noServer: true })\` and \`server.on('upgrade')\` calling \`handleUpgrade\`; ws-fc-container: the same ws app from \`serve({ upgrade })\`, defaults (markers on). Fresh servers every round, both loaded at once, a client each (the servers share the server core, the clients the load core: the pair is measured over the same seconds; which one starts first alternates round by round), ${config.warmup} s of warm-up, then two measurements. server CPU us/handshake, core busy and other load as in the throughput tables; handshake ms = connect to the 101. A round with more than 1% failed connections fails.`);
  out.push('');
}

/** The relay section: a row per variant, then the paired per-round ratios. */
function renderRelay(out, config, relay) {
  out.push(`## WebSocket relay: ${config.relayMessage}-byte echoes through the gateway and straight to the container (${config.connections} connections, ${relay.client} client)`);
  out.push('');
  const us = (v) => ms(v, 2);
  out.push(table(
    ['variant', 'messages/s (median)', 'CPU us/message (user)', 'measured process', 'per-round messages/s', 'per-round CPU us/message', 'container CPU us/message', 'client CPU us/message', 'echo p50 ms', 'p99 ms', 'spread', 'server core busy', 'load core busy', 'other load (max)'],
    relay.rows.map((r) => r.failed
      ? [r.name, `FAILED: ${r.errors.join('; ').slice(0, 200)}`, '', '', '', '', '', '', '', '', '', '', '', '']
      : [
        r.name,
        int(r.rate),
        `${us(r.cpuUsPerMessage)} (${us(r.userUsPerMessage)})`,
        r.measured,
        r.rounds.map((rd) => (rd.error ? 'fail' : `${int(rd.rate)}${rd.disturbed ? '*' : ''}`)).join(' / '),
        r.rounds.map((rd) => (rd.error ? 'fail' : us(rd.cpuUsPerMessage))).join(' / '),
        us(r.containerUsPerMessage),
        us(r.clientUsPerMessage),
        ms(r.p50, 3),
        ms(r.p99, 3),
        pct(r.spread),
        pct(r.serverCoreBusy),
        pct(r.loadCoreBusy),
        pct(r.foreignMax),
      ]),
  ));
  out.push('');
  const perRound = (ratios) => ratios.map((v) => (Number.isFinite(v) ? v.toFixed(3) : 'fail')).join(', ') || 'n/a';
  const cpu = relay.cpuRatio.filter(Number.isFinite);
  const { lo, hi, coverage } = medianInterval(cpu, ROUNDS_CONFIDENCE);
  out.push(`Gateway CPU per message (via-gateway) / container CPU per message (direct), paired per round: ${x(median(cpu))} median (${ms(lo, 3)}-${ms(hi, 3)}, ${(coverage * 100).toFixed(1)}% CI; per round ${perRound(relay.cpuRatio)}); the container's own CPU per message behind the gateway / without it ${x(median(relay.containerRatio.filter(Number.isFinite)))} median (per round ${perRound(relay.containerRatio)}); the gateway's over the container's in the same via-gateway run (same messages, same rate) ${x(median(relay.sameRunRatio.filter(Number.isFinite)))} median (per round ${perRound(relay.sameRunRatio)}); messages/s via-gateway / direct ${x(median(relay.rateRatio.filter(Number.isFinite)))} median (per round ${perRound(relay.rateRatio)}).`);
  out.push('');
  out.push(`The floor: the bare TCP relay's CPU per message (via-tcp-pipe) / the container's (direct) ${x(median(relay.floorRatio.filter(Number.isFinite)))} median (per round ${perRound(relay.floorRatio)}); the gateway's / the bare relay's ${x(median(relay.overFloorRatio.filter(Number.isFinite)))} median (per round ${perRound(relay.overFloorRatio)}).`);
  out.push('');
  out.push(`The container is bench/servers/ws-raw.mjs (node:http + \`ws\`, noServer, echoing each message as it came), a fresh one per variant per round. via-gateway puts bench/servers/ws-gateway.mjs in front of it: \`createGateway({ target, customDomain: true, concurrency: 200, port: 0 })\` from dist/emulator.js, which forwards each handshake to the container over a connection of its own and, after the container's 101, pipes the two sockets. Both run on the server core (the load core stays the client's alone in both variants), the load from bench/lib/ws-load.mjs's echo mode in its own process on the load core: ${config.connections} long-lived WebSockets (no permessage-deflate), each sending a ${config.relayMessage}-byte binary message and awaiting its echo, in a loop, for ${config.duration} s. CPU times (user + system, from /proc/<pid>/stat) and messages are counted from the moment every connection is open to the last echo, so the handshakes and the closes are outside them. via-tcp-pipe puts bench/servers/tcp-pipe.mjs in front of it instead: a \`net\` server piping each connection both ways to one of its own to the container, with no HTTP parsing and no FC rule (two reads and two writes per echo, as the gateway's relay, and nothing else). CPU us/message is the measured process's: the gateway's in via-gateway, the bare relay's in via-tcp-pipe, the container's in direct. The order alternates round by round; ${config.warmup} s of warm-up on each path. A round where any connection fails fails.`);
  out.push('');
}
