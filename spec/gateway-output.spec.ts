/**
 * The gateway's memory stays bounded when its own stdout and stderr are read slowly: the child's
 * pipes are paused while an output asks for a drain (the child is held back, as a container whose
 * log pipe is full), and invocations wait for the drain, so nothing piles up in the gateway. Every
 * line still arrives, whole and in order, once the output is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Gateway } from '../lib/emulator.js';
import { FC3, post, RECORDER, startGateway } from './helpers/gateway.js';

const KiB = 1024;
/** What the gateway may hold for one output: Node's 16 KiB highWaterMark, one 64 KiB pipe read, a few lines. */
const QUEUE_BOUND = 128 * KiB;
/**
 * Invocations in the soak below: 500 keep the file within a few seconds (each invocation costs the
 * gateway a few ms of /proc reads for its memory figure); GATEWAY_OUTPUT_INVOCATIONS=2000 runs the
 * issue's count.
 */
const INVOCATIONS = Number(process.env.GATEWAY_OUTPUT_INVOCATIONS ?? 500);
/** Each invocation prints this much on stdout and on stderr. */
const PRINT_BYTES = 4 * KiB;

/** An output read slowly: it takes nothing until `readAll()`, and records the most it ever had queued. */
class SlowOutput extends Writable {
  maxQueued = 0;
  #chunks: string[] = [];
  #held: (() => void) | undefined;
  #reading = false;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.#chunks.push(chunk.toString());
    if (this.#reading) callback();
    else this.#held = callback;
  }

  override write(chunk: string | Buffer, ...rest: never[]): boolean {
    const room = super.write(chunk, ...rest);
    this.maxQueued = Math.max(this.maxQueued, this.writableLength);
    return room;
  }

  /** Takes everything queued now (and whatever comes meanwhile), then stops reading again. */
  readAll(): Promise<void> {
    this.#reading = true;
    const held = this.#held;
    this.#held = undefined;
    held?.();
    return new Promise((resolve) => setImmediate(() => {
      this.#reading = false;
      resolve();
    }));
  }

  text(): string {
    return this.#chunks.join('');
  }
}

/**
 * Reads `outputs` only when the gateway holds something back for them (they are full); once
 * `done` has settled, reads whatever comes until `complete()` holds.
 */
async function readWhenFull(gateway: Gateway, outputs: SlowOutput[], done: Promise<unknown>, complete: () => boolean): Promise<number> {
  let settled = false;
  let reads = 0;
  void done.finally(() => { settled = true; });
  while (!settled || !complete()) {
    await new Promise((resolve) => setImmediate(resolve));
    if (gateway.printer.waiting > 0 || settled) {
      reads++;
      await Promise.all(outputs.map((output) => output.readAll()));
    }
  }
  return reads;
}

function countLines(output: SlowOutput, start: string): number {
  return output.text().split('\n').filter((line) => line.startsWith(start)).length;
}

function assertLinesInOrder(text: string, count: number): void {
  const lines = text.split('\n').filter((line) => line.startsWith('[my-function] 0'));
  assert.equal(lines.length, count);
  lines.forEach((line, i) => assert.equal(line, `[my-function] ${String(i).padStart(8, '0')} ${'l'.repeat(1014)}`, `line ${i}`));
}

test('a container printing 4 MiB on stdout and stderr in one invocation while nobody reads: the gateway holds at most 128 KiB', { timeout: 20_000 }, async (t) => {
  const stdout = new SlowOutput();
  const stderr = new SlowOutput();
  const s = await startGateway(t, { command: RECORDER, stdout, stderr });
  await stdout.readAll();
  const reply = post(s.port, FC3, `print:${4096 * KiB}`);
  const printed = (): boolean => countLines(stdout, '[my-function] 0') === 4096 && countLines(stderr, '[my-function] 0') === 4096;
  const reads = await readWhenFull(s.gateway, [stdout, stderr], reply, printed);
  assert.equal((await reply).text, `printed ${4096 * KiB}`);
  assert.ok(stdout.maxQueued <= QUEUE_BOUND, `stdout queued up to ${stdout.maxQueued} bytes`);
  assert.ok(stderr.maxQueued <= QUEUE_BOUND, `stderr queued up to ${stderr.maxQueued} bytes`);
  assertLinesInOrder(stdout.text(), 4096);
  assertLinesInOrder(stderr.text(), 4096);
  console.log(`# 2 × 4 MiB printed, read only when full (${reads} reads): most queued ${stdout.maxQueued} / ${stderr.maxQueued} bytes`);
});

test(`${INVOCATIONS} invocations, each printing ${PRINT_BYTES} bytes on stdout and stderr, with the output read only when full: the gateway's queue stays flat`, { timeout: 60_000 }, async (t) => {
  const stdout = new SlowOutput();
  const stderr = new SlowOutput();
  const s = await startGateway(t, { command: RECORDER, stdout, stderr, concurrency: 4 });
  await stdout.readAll();
  const total = INVOCATIONS;
  let sent = 0;
  const callers = Array.from({ length: 4 }, async () => {
    while (sent < total) {
      sent++;
      assert.equal((await post(s.port, FC3, `print:${PRINT_BYTES}`)).status, 200);
    }
  });
  const all = Promise.all(callers);
  const summarized = (): boolean => (stdout.text().match(/Invoke -> 200 /g)?.length ?? 0) === total
    && countLines(stderr, '[my-function] 00000003 ') === total;
  const reads = await readWhenFull(s.gateway, [stdout, stderr], all, summarized);
  await all;
  assert.equal(s.invocations.length, total);
  assert.ok(stdout.maxQueued <= QUEUE_BOUND, `stdout queued up to ${stdout.maxQueued} bytes`);
  assert.ok(stderr.maxQueued <= QUEUE_BOUND, `stderr queued up to ${stderr.maxQueued} bytes`);
  console.log(`# ${total} invocations × ${PRINT_BYTES} bytes on each output, read only when full (${reads} reads): most queued ${stdout.maxQueued} / ${stderr.maxQueued} bytes`);
});

test('a silent container: the gateway\'s own summary lines wait for the drain too (300 invocations, stdout read only when full)', { timeout: 30_000 }, async (t) => {
  const stdout = new SlowOutput();
  const stderr = new SlowOutput();
  const concurrency = 4;
  const s = await startGateway(t, { command: RECORDER, stdout, stderr, concurrency });
  await stdout.readAll();
  const total = 300;
  let sent = 0;
  const all = Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < total) {
      sent++;
      assert.equal((await post(s.port, FC3, 'ok')).status, 200);
    }
  }));
  const summarized = (): boolean => (stdout.text().match(/Invoke -> 200 /g)?.length ?? 0) === total;
  const reads = await readWhenFull(s.gateway, [stdout, stderr], all, summarized);
  await all;
  // Node's 16 KiB highWaterMark, and one summary line (~200 bytes) per invocation already inside.
  const bound = 16 * KiB + concurrency * 512;
  assert.ok(stdout.maxQueued <= bound, `stdout queued up to ${stdout.maxQueued} bytes (bound ${bound})`);
  console.log(`# ${total} silent invocations, stdout read only when full (${reads} reads): most queued ${stdout.maxQueued} bytes`);
});
