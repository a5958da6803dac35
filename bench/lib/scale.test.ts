import { describe, expect, it } from "@jest/globals";
import type { Measurement, ScenarioResult } from "./report";
import { scalePairs } from "./scale";
import type { LoadResult } from "./wrk";

function scenario(id: string, rps: number[], baselineRps: number[]): ScenarioResult {
  const load = (r: number): LoadResult => ({
    connections: 50,
    seconds: 3,
    requests: r * 3,
    rps: r,
    p50: 1,
    p99: 2,
    max: 3,
    non2xx: 0,
    socketErrors: 0,
    counters: {},
  });
  const rounds = rps.map((r, i): Measurement => ({
    c50: load(r),
    c1: load(r),
    baselineRps: baselineRps[i] ?? NaN,
    baselineP50: 1,
    ratio: r / (baselineRps[i] ?? NaN),
    p50Ratio: 1,
  }));
  return { id, title: id, rounds };
}

describe("scalePairs", () => {
  it("compares the two servers' throughput within each round, whatever the bare runs around them did", () => {
    const small = scenario("small", [30_000, 40_000, 20_000], [40_000, 40_000, 40_000]);
    const large = scenario("large", [27_000, 40_000, 21_000], [60_000, 30_000, 40_000]);
    expect(scalePairs(large, small)).toEqual([
      { large: 27_000, small: 30_000, ratio: 0.9 },
      { large: 40_000, small: 40_000, ratio: 1 },
      { large: 21_000, small: 20_000, ratio: 1.05 },
    ]);
  });

  it("refuses scenarios that ran a different number of rounds", () => {
    expect(() => scalePairs(scenario("large", [1, 2], [1, 1]), scenario("small", [1, 2, 3], [1, 1, 1]))).toThrow(
      "large and small ran 2 and 3 rounds",
    );
  });
});
