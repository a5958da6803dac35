import { describe, expect, it } from "@jest/globals";
import { NO_CHANGES, compare, countOf, hear } from "./change-count";

const at = (epoch: string, count: number) => ({ epoch, count });

describe("hear", () => {
  it("moves on by one message at a time without missing anything", () => {
    expect(hear(at("e", 4), at("e", 5))).toEqual({ heard: at("e", 5), missed: false });
  });

  it("misses the changes whose counts it skipped", () => {
    expect(hear(at("e", 4), at("e", 6))).toEqual({ heard: at("e", 6), missed: true });
  });

  it("stays where it is for a message counted before its starting count was read", () => {
    expect(hear(at("e", 7), at("e", 6))).toEqual({ heard: at("e", 7), missed: false });
  });

  it("takes the first change counted ever after a start with no count, and misses any before it", () => {
    expect(hear(NO_CHANGES, at("e", 1))).toEqual({ heard: at("e", 1), missed: false });
    expect(hear(NO_CHANGES, at("e", 2))).toEqual({ heard: at("e", 2), missed: true });
  });

  it("misses whatever came between when the count started over", () => {
    expect(hear(at("e", 9), at("f", 1))).toEqual({ heard: at("f", 1), missed: true });
  });
});

describe("compare", () => {
  it("has heard everything up to the count, not beyond it", () => {
    expect(compare(at("e", 5), at("e", 5))).toBe("heard everything");
    expect(compare(at("e", 5), at("e", 4))).toBe("heard everything");
    expect(compare(at("e", 5), at("e", 6))).toBe("behind");
    expect(compare(NO_CHANGES, NO_CHANGES)).toBe("heard everything");
  });

  it("is behind changes counted since a start with no count", () => {
    expect(compare(NO_CHANGES, at("e", 1))).toBe("behind");
  });

  it("cannot compare with a count that started over, even one that reached the same number", () => {
    expect(compare(at("e", 5), at("f", 5))).toBe("started over");
    expect(compare(at("e", 5), NO_CHANGES)).toBe("started over");
  });
});

describe("countOf", () => {
  it("reads a message's epoch and count, and nothing from an earlier version's message", () => {
    expect(countOf({ epoch: "e", count: 3 })).toEqual(at("e", 3));
    expect(countOf({ count: 3 })).toBeUndefined();
    expect(countOf({ epoch: "e", count: "3" })).toBeUndefined();
  });
});
