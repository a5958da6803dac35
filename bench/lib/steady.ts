/** One run of the bare server: its throughput at c = 50 and its p50 at c = 1. */
export interface BareRun {
  rps: number;
  p50: number;
}

/**
 * How far apart the bare runs on either side of a measurement may be (throughput and p50, relative
 * to their mean) for their mean to stand for the machine's speed during it. On this VM the bare
 * server's throughput moved 5× within a round (2026-12-03); a ratio to a mean of 7 k and 33 k says
 * nothing about the run between them, in either direction.
 */
export const STEADY_SPREAD = 0.25;

/** The larger of the two relative differences between the bare runs before and after a measurement. */
export function baselineSpread(before: BareRun, after: BareRun): number {
  const apart = (a: number, b: number) => Math.abs(a - b) / ((a + b) / 2);
  return Math.max(apart(before.rps, after.rps), apart(before.p50, after.p50));
}

/** Whether a measurement whose bare runs were `spread` apart (baselineSpread) can stand. */
export function steady(spread: number): boolean {
  return spread <= STEADY_SPREAD;
}
