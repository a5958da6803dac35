import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "@jest/globals";
import { NextTurnBatch, NextTurnQueue } from "./next-turn-batch";

describe("NextTurnBatch", () => {
  it("hands over one turn's entries together at the next turn, and later ones separately", async () => {
    const flushed: Array<Array<[string, number[]]>> = [];
    const batch = new NextTurnBatch<string, number[]>((entries) => flushed.push([...entries]));

    batch.entry("a", () => []).push(1);
    batch.entry("b", () => []).push(2);
    batch.entry("a", () => []).push(3);
    expect(flushed).toEqual([]);
    await nextTurn();
    expect(flushed).toEqual([
      [
        ["a", [1, 3]],
        ["b", [2]],
      ],
    ]);

    batch.entry("a", () => []).push(4);
    await nextTurn();
    expect(flushed).toEqual([flushed[0], [["a", [4]]]]);
  });
});

describe("NextTurnQueue", () => {
  it("hands over one turn's items together and in order at the next turn, and later ones separately", async () => {
    const flushed: number[][] = [];
    const queue = new NextTurnQueue<number>((items) => flushed.push(items));

    queue.push(2);
    queue.push(1);
    queue.push(2);
    expect(flushed).toEqual([]);
    await nextTurn();
    expect(flushed).toEqual([[2, 1, 2]]);

    queue.push(3);
    await nextTurn();
    expect(flushed).toEqual([[2, 1, 2], [3]]);
  });
});
