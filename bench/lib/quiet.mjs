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

/**
 * Takes a measurement; when other processes took more than config.quietShare of the cores
 * during it, takes it again after a pause (up to config.retries times, out of the run's
 * patience) and keeps the least disturbed attempt. `measure()` resolves to a result with
 * `foreign` (that share) and `error` when it failed; a throw becomes { error }. Each attempt
 * goes to `onAttempt` (the throughput section counts the requests of all of them); the kept one
 * has `attempts` set. No retry after an error or once `isDead()` says the server has gone.
 */
export async function measureUndisturbed(ctx, { label, measure, isDead = () => false, onAttempt = () => {} }) {
  const { config } = ctx;
  let best;
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    if (attempt > 0) await sleep(config.retryPauseMs);
    let r;
    try {
      r = await measure();
    } catch (error) {
      r = { error: error.message.split('\n')[0] };
    }
    r.attempts = attempt + 1;
    onAttempt(r);
    if (!best || (r.error === undefined && (best.error !== undefined || (r.foreign ?? 0) < (best.foreign ?? 0)))) best = r;
    if (r.error !== undefined || isDead() || !((r.foreign ?? 0) > config.quietShare)) break;
    if (attempt === config.retries || !spendPatience(ctx, config.duration * 1000 + config.retryPauseMs)) break;
    ctx.retried = (ctx.retried ?? 0) + 1;
    ctx.progress(`${label} disturbed (other load ${((r.foreign ?? 0) * 100).toFixed(0)}% of the cores), measuring again`);
  }
  return best;
}
