// This machine may be shared: before a timing-sensitive measurement, wait (bounded) until other
// processes leave the cores alone.
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { snapshotMachineCpu, foreignCpuSeconds } from './procs.mjs';

const PROBE_MS = 250;

/** The share of all cores other processes used over one short probe (our children idle). */
export async function probeOtherLoad(ms = PROBE_MS) {
  const before = snapshotMachineCpu();
  await sleep(ms);
  const after = snapshotMachineCpu();
  return foreignCpuSeconds(before, after, 0) / ((ms / 1000) * availableParallelism());
}

/** Takes `ms` from the run's patience; false (and nothing taken) when not enough is left. */
export function spendPatience(ctx, ms) {
  if (ctx.patienceMs < ms) return false;
  ctx.patienceMs -= ms;
  return true;
}

/**
 * Waits until a probe finds the other load under config.quietShare, for at most
 * config.quietWaitMs per call, out of the run's patience. Returns the ms waited.
 */
export async function waitForQuiet(ctx) {
  const { config } = ctx;
  const limit = Math.min(config.quietWaitMs, ctx.patienceMs);
  if (limit <= 0) return 0;
  const started = Date.now();
  let share = await probeOtherLoad();
  while (share > config.quietShare && Date.now() - started < limit) {
    share = await probeOtherLoad();
  }
  const waited = Date.now() - started;
  ctx.patienceMs = Math.max(0, ctx.patienceMs - waited);
  ctx.quietWaitedMs = (ctx.quietWaitedMs ?? 0) + waited;
  if (waited > 1000) ctx.progress(`waited ${(waited / 1000).toFixed(1)} s for other processes to leave the cores (${(share * 100).toFixed(0)}% now)`);
  return waited;
}
