/** The gateway's one pause: a timer that never keeps the process alive by itself. */

/** Resolves after `ms`; unref'd, so a pending pause does not hold the process open. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
