// The variants and the run's settings (environment variables, or overrides from runBench()).
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(BENCH_DIR, '..');
export const SERVERS_DIR = join(BENCH_DIR, 'servers');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/**
 * Every variant answers the same contract. `markers`: prints FC's per-request log lines.
 * `limit`: refuses a body over 6 MiB with 400 (the oversize test runs on these).
 */
export const VARIANTS = [
  { name: 'raw', file: 'raw.mjs', markers: false, limit: false, about: 'bare node:http, no FC work' },
  { name: 'raw-fc', file: 'raw-fc.mjs', markers: true, limit: true, about: 'bare node:http, FC markers + 6 MiB limit by hand' },
  { name: 'fc-container', file: 'fc-container.mjs', markers: true, limit: true, about: 'serve({ initialize, invoke, http }), defaults' },
  { name: 'fc-container-fetch', file: 'fc-container-fetch.mjs', markers: true, limit: true, coldPath: 'get', about: 'serve({ fetch }) answering every request, defaults' },
  { name: 'fc-container-async', file: 'fc-container-async.mjs', markers: true, limit: true, about: 'as fc-container, with asyncContext: true (getContext())' },
  { name: 'express', file: 'express.mjs', markers: false, limit: false, about: 'express@4, no FC work' },
  { name: 'fastify', file: 'fastify.mjs', markers: false, limit: false, about: 'fastify@5, no FC work' },
  { name: 'hono', file: 'hono.mjs', markers: false, limit: false, coldPath: 'get', about: 'a Hono app on @hono/node-server, no FC work' },
  { name: 'hono-fc-container', file: 'hono-fc-container.mjs', markers: true, limit: true, coldPath: 'get', about: 'the same Hono app on serve({ fetch: app.fetch }), defaults' },
];

/**
 * The order variants are measured in within a throughput round: the pairs the targets compare
 * (raw-fc / fc-container / fastify) are neighbours, so they run close together in time. Rounds
 * alternate forward and backward (A B C, C B A, ...), which keeps neighbours together and
 * balances who runs first.
 */
export const RUN_ORDER = ['raw', 'raw-fc', 'fc-container', 'fastify', 'express', 'fc-container-fetch', 'hono', 'hono-fc-container', 'fc-container-async'];

/**
 * The websocket section's pair, apart from VARIANTS: they answer WebSocket handshakes (each
 * connection echoes one message), not the HTTP contract, and BENCH_VARIANTS does not pick them.
 * Both are loaded at once in every round (websocket.mjs).
 */
export const WS_VARIANTS = [
  { name: 'ws-raw', file: 'ws-raw.mjs', markers: false, about: 'bare node:http + ws (noServer, handleUpgrade by hand), no FC work' },
  { name: 'ws-fc-container', file: 'ws-fc-container.mjs', markers: true, about: 'the same ws app behind serve({ upgrade }), defaults' },
];

/**
 * The relay section's paths to the same container (ws-raw.mjs, a fresh one per run): its load
 * client straight to it, through the local gateway (ws-gateway.mjs, createGateway() in target
 * mode) in front of it, or through the floor (tcp-pipe.mjs, a bare TCP relay in Node, no HTTP and
 * no FC rule: what any Node relay pays). `relay` is the file in front of the container, if any.
 * Measured in this order in even rounds, reversed in odd ones.
 */
export const RELAY_VARIANTS = [
  { name: 'direct', relay: undefined, about: 'client -> container (ws-raw: node:http + ws)' },
  { name: 'via-gateway', relay: 'ws-gateway.mjs', about: 'client -> gateway (createGateway({ target, customDomain: true })) -> container' },
  { name: 'via-tcp-pipe', relay: 'tcp-pipe.mjs', about: 'client -> bare TCP relay (net sockets piped both ways) -> container: the floor' },
];

export const SECTIONS = ['import', 'cold', 'image', 'memory', 'oversize', 'throughput', 'pairs', 'websocket', 'relay', 'testing'];

const KIB = 1024;
const MIB = 1024 * KIB;

function num(value, fallback) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a number >= 0: ${value}`);
  return n;
}

function list(value) {
  if (value === undefined || value === '') return undefined;
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Resolves the settings: `overrides` (same keys as the result) win over the environment.
 *   BENCH_SMOKE=1        1 s, 1 round, no warm-up, 3 cold runs, 3 image runs, 2 memory invocations
 *   BENCH_DURATION=3     seconds per measurement        BENCH_WARMUP=1   seconds of warm-up per workload
 *   BENCH_ROUNDS=5       rounds (fresh server per round) BENCH_CONNECTIONS=50
 *   BENCH_COLD_RUNS=30   BENCH_MEM_RUNS=3  BENCH_MEM_INVOCATIONS=20  BENCH_OVERSIZE_RUNS=10  BENCH_IMPORT_RUNS=10
 *   BENCH_IMAGE_RUNS=30  cold starts per variant of the installed package (the image section)
 *   BENCH_VARIANTS=raw,fc-container   BENCH_SECTIONS=import,cold,image,memory,oversize,throughput,pairs,websocket,relay,testing
 *   BENCH_PAIRS=a/b,c/d  the pairs section's pairs (default: its PAIRS), each pair's two variants loaded at once
 *   (the websocket section always runs its own pair, WS_VARIANTS, with BENCH_CONNECTIONS handshake loops;
 *   the relay section its RELAY_VARIANTS, with BENCH_CONNECTIONS long-lived echo connections)
 *   BENCH_LOADGEN=wrk|autocannon      BENCH_KEEP_LOGS=1 (keep server stdout files in bench/results/run-<pid>/logs)
 *   BENCH_QUIET_SHARE=0.05  other processes' share of the cores above which the machine is "busy"
 *   BENCH_QUIET_WAIT=5   seconds to wait for a quiet machine before a measurement
 *   BENCH_RETRIES=1      times to re-measure a throughput run other processes disturbed
 *   BENCH_PATIENCE=90    seconds the whole run may spend waiting and re-measuring (0 in smoke mode)
 *   BENCH_WRITE=0        do not write bench/results/latest.md (or smoke.md) and .json
 */
export function resolveConfig(overrides = {}, env = process.env) {
  const smoke = overrides.smoke ?? (env.BENCH_SMOKE === '1' || env.BENCH_SMOKE === 'true');
  const pick = (key, envName, full, smokeValue) => overrides[key] ?? num(env[envName], smoke ? smokeValue : full);
  const names = overrides.variants ?? list(env.BENCH_VARIANTS) ?? VARIANTS.map((v) => v.name);
  const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
  if (unknown.length) throw new Error(`unknown variant(s): ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
  const sections = overrides.sections ?? list(env.BENCH_SECTIONS) ?? SECTIONS;
  const badSections = sections.filter((s) => !SECTIONS.includes(s));
  if (badSections.length) throw new Error(`unknown section(s): ${badSections.join(', ')}; known: ${SECTIONS.join(', ')}`);
  return {
    smoke,
    duration: pick('duration', 'BENCH_DURATION', 3, 1),
    warmup: pick('warmup', 'BENCH_WARMUP', 1, 0),
    rounds: Math.max(1, Math.round(pick('rounds', 'BENCH_ROUNDS', 5, 1))),
    connections: Math.max(1, Math.round(pick('connections', 'BENCH_CONNECTIONS', 50, 50))),
    coldRuns: Math.max(1, Math.round(pick('coldRuns', 'BENCH_COLD_RUNS', 30, 3))),
    // Runs of the image section; its pack and install happen once, whatever the count.
    imageRuns: Math.max(1, Math.round(pick('imageRuns', 'BENCH_IMAGE_RUNS', 30, 3))),
    memRuns: Math.max(1, Math.round(pick('memRuns', 'BENCH_MEM_RUNS', 3, 1))),
    memInvocations: Math.max(1, Math.round(pick('memInvocations', 'BENCH_MEM_INVOCATIONS', 20, 2))),
    oversizeRuns: Math.max(1, Math.round(pick('oversizeRuns', 'BENCH_OVERSIZE_RUNS', 10, 2))),
    importRuns: Math.max(1, Math.round(pick('importRuns', 'BENCH_IMPORT_RUNS', 10, 3))),
    variants: VARIANTS.filter((v) => names.includes(v.name)),
    sections,
    loadgen: overrides.loadgen ?? (env.BENCH_LOADGEN || undefined),
    keepLogs: overrides.keepLogs ?? env.BENCH_KEEP_LOGS === '1',
    write: overrides.write ?? env.BENCH_WRITE !== '0',
    // Sizes.
    invokeBody: 1 * KIB,
    relayMessage: 1 * KIB, // the relay section's echoed binary message
    testingCalls: smoke ? 200 : 2000, // the testing section's invokes per round (and as many direct calls)
    bigEvent: 6 * MIB, // 6291456: exactly the limit, allowed
    oversizeEvent: 7 * MIB,
    idleWaitMs: 300,
    // The machine may be shared. Before each timing-sensitive measurement, wait up to
    // quietWaitMs for other processes to use less than quietShare of the cores; a throughput
    // measurement they disturbed anyway is taken again (at most `retries` times, the least
    // disturbed kept). Waiting and re-measuring together spend at most patienceMs in the run.
    quietShare: overrides.quietShare ?? num(env.BENCH_QUIET_SHARE, 0.05),
    quietWaitMs: 1000 * (overrides.quietWait ?? num(env.BENCH_QUIET_WAIT, smoke ? 0 : 5)),
    retries: Math.round(overrides.retries ?? num(env.BENCH_RETRIES, smoke ? 0 : 1)),
    retryPauseMs: 1000,
    patienceMs: 1000 * (overrides.patience ?? num(env.BENCH_PATIENCE, smoke ? 0 : 90)),
    // Cores: server on 1, load generator (and this process) on 0.
    serverCore: 1,
    loadCore: 0,
  };
}
