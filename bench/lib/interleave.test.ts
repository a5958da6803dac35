import { describe, expect, it } from "@jest/globals";
import { combined, interleavedMeasurement, slicesOf } from "./interleave";
import type { LoadResult } from "./wrk";

function run(rps: number, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    connections: 50,
    seconds: 1,
    requests: rps,
    rps,
    p50: 1,
    p99: 2,
    max: 3,
    non2xx: 0,
    socketErrors: 0,
    counters: {},
    ...extra,
  };
}

describe("interleaved slices", () => {
  it("takes each slice's ratio to the mean of the baseline's slices on either side", () => {
    const slices = slicesOf([run(40_000), run(30_000), run(30_000)], [run(28_000), run(24_000)]);
    expect(slices.map((s) => s.baselineRps)).toEqual([35_000, 30_000]);
    expect(slices.map((s) => s.ratio)).toEqual([0.8, 0.8]);
    expect(slices[0]?.spread).toBeCloseTo(10_000 / 35_000);
    expect(slices[1]?.spread).toBe(0);
  });

  it("refuses slices without a baseline one on each side", () => {
    expect(() => slicesOf([run(1), run(1)], [run(1), run(1)])).toThrow("3 baseline");
    expect(() => slicesOf([run(1)], [])).toThrow();
  });

  it("lets the other slices outvote one that met a change of speed", () => {
    // The machine halved its speed during the second slice: its baseline neighbours disagree.
    const measured = interleavedMeasurement({
      baseline: [run(40_000), run(40_000), run(20_000), run(20_000)],
      target: [run(28_000), run(28_000), run(14_000)],
      baselineC1: [run(1, { p50: 0.04 }), run(1, { p50: 0.06 })],
      c1: run(1, { p50: 0.075 }),
    });
    expect(measured.slices?.map((s) => s.ratio)).toEqual([0.7, 28_000 / 30_000, 0.7]);
    expect(measured.ratio).toBe(0.7);
    expect(measured.baselineP50).toBeCloseTo(0.05);
    expect(measured.p50Ratio).toBeCloseTo(1.5);
    // The widest disagreement of any neighbours: 40 k against 20 k.
    expect(measured.baselineSpread).toBeCloseTo(20_000 / 30_000);
  });

  it("sums the slices' requests, answers and counters, and averages their rates", () => {
    const all = combined([
      run(30_000, { non2xx: 1, counters: { errors: 2 }, p99: 4 }),
      run(20_000, { socketErrors: 1, counters: { errors: 1 } }),
    ]);
    expect(all).toMatchObject({ seconds: 2, requests: 50_000, rps: 25_000, non2xx: 1, socketErrors: 1, p99: 4 });
    expect(all.counters).toEqual({ errors: 3 });
  });
});
