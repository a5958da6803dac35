import { describe, expect, it } from "@jest/globals";
import { median, percentile } from "./log";

describe("percentile", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it("is the nearest rank: the smallest value with at least p % of the values at or below it", () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 7)).toBe(7);
    expect(
      percentile(
        Array.from({ length: 1000 }, (_, i) => i + 1),
        99.9,
      ),
    ).toBe(999);
    expect(percentile([3, 7, 9], 50)).toBe(7);
    expect(percentile([3, 7, 9], 99)).toBe(9);
  });

  it("never reads outside the values", () => {
    expect(percentile([4], 1)).toBe(4);
    expect(percentile([4], 100)).toBe(4);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("median", () => {
  it("takes the middle value, or the mean of the two middle ones, whatever the order given", () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
