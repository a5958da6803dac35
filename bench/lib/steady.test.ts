import { describe, expect, it } from "@jest/globals";
import { baselineSpread, steady, STEADY_SPREAD } from "./steady";

describe("steady baselines", () => {
  it("takes the larger of the throughput and p50 differences, relative to their mean", () => {
    expect(baselineSpread({ rps: 30_000, p50: 0.1 }, { rps: 30_000, p50: 0.1 })).toBe(0);
    expect(baselineSpread({ rps: 20_000, p50: 0.1 }, { rps: 30_000, p50: 0.1 })).toBeCloseTo(0.4);
    expect(baselineSpread({ rps: 30_000, p50: 0.1 }, { rps: 30_000, p50: 0.3 })).toBeCloseTo(1);
    // Symmetric: which run came first does not matter.
    expect(baselineSpread({ rps: 30_000, p50: 0.3 }, { rps: 7_000, p50: 0.1 })).toBe(
      baselineSpread({ rps: 7_000, p50: 0.1 }, { rps: 30_000, p50: 0.3 }),
    );
  });

  it("calls a measurement steady up to the tolerance and not past it", () => {
    const at = (spread: number) => ({ rps: 30_000 * (1 + spread / 2), p50: 0.1 });
    const from = { rps: 30_000 * (1 - STEADY_SPREAD / 2), p50: 0.1 };
    expect(steady(baselineSpread(from, at(STEADY_SPREAD)))).toBe(true);
    expect(steady(baselineSpread({ rps: 28_000, p50: 0.1 }, { rps: 31_000, p50: 0.11 }))).toBe(true);
    expect(steady(baselineSpread({ rps: 7_000, p50: 0.64 }, { rps: 33_000, p50: 0.11 }))).toBe(false);
    expect(steady(baselineSpread({ rps: 30_000, p50: 0.1 }, { rps: 30_000, p50: 0.14 }))).toBe(false);
  });
});
