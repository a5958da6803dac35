import { median } from "./log";
import type { Measurement } from "./report";
import { baselineSpread } from "./steady";
import type { LoadResult } from "./wrk";

/**
 * Throughput is measured in slices, each between two slices of a baseline (the bare server; for
 * the refusals the positive path; for a 1 M server the 1 k one of its kind), rather than as one run
 * between two baseline runs. This VM's speed changes within seconds (the bare server at 27 k and
 * at 51 k req/s in runs 12 s apart, 2026-12-04): the nearer a slice's neighbours, the likelier all
 * three ran at one speed, and a slice that straddles a change is outvoted by the others (the
 * round's ratio is their median).
 */
export const SLICES = 3;
export const SLICE_SECONDS = 1;

/** One slice of a target's throughput, against the mean of the baseline's slices on either side. */
export interface Slice {
  rps: number;
  baselineRps: number;
  ratio: number;
  /** How far apart those two baseline slices were (lib/steady.ts). */
  spread: number;
}

export interface InterleavedRuns {
  /** The baseline's throughput slices: one more than the target's, first and last around it. */
  baseline: readonly LoadResult[];
  /** The target's throughput slices, each between baseline[i] and baseline[i + 1]. */
  target: readonly LoadResult[];
  /** The baseline's single-client runs before and after the target's. */
  baselineC1: readonly [LoadResult, LoadResult];
  c1: LoadResult;
}

/** The slices of one target's throughput, each with its ratio to its baseline neighbours. */
export function slicesOf(baseline: readonly LoadResult[], target: readonly LoadResult[]): Slice[] {
  if (target.length === 0 || baseline.length !== target.length + 1) {
    throw new Error(
      `${target.length} target slices need ${target.length + 1} baseline ones around them, not ${baseline.length}`,
    );
  }
  return target.map((run, i) => {
    const before = baseline[i] as LoadResult;
    const after = baseline[i + 1] as LoadResult;
    const baselineRps = (before.rps + after.rps) / 2;
    // Throughput only: the slices are at c = 50, and the p50s are compared in the c = 1 runs.
    const spread = baselineSpread({ rps: before.rps, p50: 1 }, { rps: after.rps, p50: 1 });
    return { rps: run.rps, baselineRps, ratio: run.rps / baselineRps, spread };
  });
}

/** The target's slices as one run: their requests and answers summed, their rates averaged. */
export function combined(runs: readonly LoadResult[]): LoadResult {
  const first = runs[0];
  if (!first) throw new Error("no runs to combine");
  const sum = (pick: (run: LoadResult) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const counters: Record<string, number> = {};
  for (const run of runs) {
    for (const [name, value] of Object.entries(run.counters)) counters[name] = (counters[name] ?? 0) + value;
  }
  return {
    connections: first.connections,
    seconds: sum((run) => run.seconds),
    requests: sum((run) => run.requests),
    rps: sum((run) => run.rps) / runs.length,
    p50: median(runs.map((run) => run.p50)),
    p99: Math.max(...runs.map((run) => run.p99)),
    max: Math.max(...runs.map((run) => run.max)),
    non2xx: sum((run) => run.non2xx),
    socketErrors: sum((run) => run.socketErrors),
    counters,
  };
}

/**
 * A round's measurement of a target: its ratio is the median of its slices' ratios, its p50 ratio
 * is to the mean of the baseline's single-client runs around it, and its spread is the widest of
 * its baseline neighbours' (any slice's throughput, or the p50s).
 */
export function interleavedMeasurement({ baseline, target, baselineC1, c1 }: InterleavedRuns): Measurement {
  const slices = slicesOf(baseline, target);
  const baselineP50 = (baselineC1[0].p50 + baselineC1[1].p50) / 2;
  const p50Spread = baselineSpread({ rps: 1, p50: baselineC1[0].p50 }, { rps: 1, p50: baselineC1[1].p50 });
  return {
    c50: combined(target),
    c1,
    baselineRps: slices.reduce((total, slice) => total + slice.baselineRps, 0) / slices.length,
    baselineP50,
    ratio: median(slices.map((slice) => slice.ratio)),
    p50Ratio: c1.p50 / baselineP50,
    baselineSpread: Math.max(p50Spread, ...slices.map((slice) => slice.spread)),
    slices,
  };
}
