import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import {
  collectionsByRound,
  coresBusy,
  otherFigures,
  poolWaitsByRound,
  ratioAgainst,
  scenarioFigures,
  type BenchResults,
  type MutationCost,
} from "./report";

// The committed results of the last full run: the report is regenerated from them (--report).
const results = JSON.parse(readFileSync(join(__dirname, "../results/latest.json"), "utf8")) as BenchResults;

/** The committed results as an older run wrote them: without `field` in any mutation run's costs. */
function withoutCostField(field: keyof MutationCost): BenchResults {
  const costs = Object.fromEntries(
    Object.entries(results.mutations.costs).map(([key, runs]) => [
      key,
      runs.map((cost) => Object.fromEntries(Object.entries(cost).filter(([name]) => name !== field))),
    ]),
  );
  return { ...results, mutations: { ...results.mutations, costs } } as unknown as BenchResults;
}

describe("the mutation rows of the report", () => {
  const figures = otherFigures(results);
  const mutationRows = figures.filter((f) => / through GraphQL, \d+ concurrent admins$/.test(f.figure));
  const rawRows = figures.filter((f) => / on raw node:http \+ mysql2, \d+ clients$/.test(f.figure));
  const rounds = results.mutations.results["createSecret c10"]?.length ?? NaN;
  /** The comma-separated values `pattern` captures in `raw`, one per round. */
  const byRound = (raw: string, pattern: RegExp) => pattern.exec(raw)?.[1]?.split(", ");

  it("shows MariaDB alone once, as a reference row without a goal, with every round", () => {
    const alone = figures.filter((f) => f.figure.startsWith("Reference: MariaDB alone"));
    expect(alone).toHaveLength(1);
    expect(alone[0]?.pass).toBeNull();
    expect(alone[0]?.raw.match(/\/s p99/g)).toHaveLength(results.mutations.commitBaseline.length);
  });

  it("measures creates and rotations without a grace period against the raw server's, not those with one", () => {
    const ofRaw = (row: { raw: string }) => /× the (raw \w+)'s rate/.exec(row.raw)?.[1];
    expect(mutationRows.map((row) => [row.figure.split(" through")[0], ofRaw(row)])).toEqual([
      ["createSecret", "raw create"],
      ["createSecret", "raw create"],
      ["rotateSecret", "raw rotation"],
      ["rotateSecret", "raw rotation"],
      ["rotateSecret with a 1 h grace period", undefined],
      ["rotateSecret with a 1 h grace period", undefined],
    ]);
  });

  it("does not repeat MariaDB alone in each mutation row", () => {
    expect(mutationRows).toHaveLength(6);
    for (const row of mutationRows) expect(row.raw).not.toContain("MariaDB alone");
  });

  it("shows each round's full collections in Keyturn's mutation rows, not in the raw server's", () => {
    for (const row of mutationRows) expect(byRound(row.raw, /full collections by round: ([^;]+)/)).toHaveLength(rounds);
    expect(rawRows.map((f) => f.figure)).toEqual([
      "Reference: createSecret's statements on raw node:http + mysql2, 50 clients",
      "Reference: createSecret's statements on raw node:http + mysql2, 10 clients",
      "Reference: rotateSecret's procedure (no grace period) on raw node:http + mysql2, 50 clients",
      "Reference: rotateSecret's procedure (no grace period) on raw node:http + mysql2, 10 clients",
    ]);
    for (const row of rawRows) expect(row.raw).not.toContain("full collections");
  });

  it("shows each round's mean wait for a pooled connection in Keyturn's mutation rows, not in the raw server's", () => {
    for (const row of mutationRows) {
      expect(byRound(row.raw, /mean wait for a pooled connection by round: ([\d., ]+) ms/)).toHaveLength(rounds);
    }
    expect(rawRows).toHaveLength(4);
    for (const row of rawRows) expect(row.raw).not.toContain("pooled connection");
  });

  it("shows each round's cores in every mutation row, the raw server's too", () => {
    const rows = figures.filter((f) => / (admins|clients)$/.test(f.figure) && !f.figure.includes("MariaDB alone"));
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(byRound(row.raw, /by round, server core busy ([\d, ]+) %/)).toHaveLength(rounds);
  });
});

describe("a mutation row's pool waits", () => {
  it("gives each round's mean wait in ms, and 0 for a round without any", () => {
    expect(
      poolWaitsByRound([
        { count: 400, totalMs: 10_020 },
        { count: 3, totalMs: 0.3 },
        { count: 0, totalMs: 0 },
      ]),
    ).toBe("25.1, 0.1, 0.0 ms");
  });

  it("asks for a new run when the results have no pool waits", () => {
    expect(() => otherFigures(withoutCostField("poolWaits"))).toThrow("rerun npm run bench");
  });
});

describe("a mutation row's cores", () => {
  it("gives the cores' shares round by round, in whole per cent", () => {
    const rounds = [
      {
        serverCoreBusy: 0.974,
        serverProcess: 0.8449,
        serverCoreInterrupts: 0.06,
        serverCoreSteal: 0,
        loadCoreBusy: 0.5,
      },
      { serverCoreBusy: 1, serverProcess: 0.5, serverCoreInterrupts: 0.1, serverCoreSteal: 0.2, loadCoreBusy: 0.996 },
    ];
    expect(coresBusy(rounds)).toBe(
      "server core busy 97, 100 % (the server's own CPU 84, 50 %, steal 0, 20 %; interrupts 6, 10 % within them), load core busy 50, 100 %",
    );
    expect(coresBusy(rounds.slice(0, 1))).toBe(
      "server core busy 97 % (the server's own CPU 84 %, steal 0 %; interrupts 6 % within them), load core busy 50 %",
    );
  });

  it("asks for a new run when the results have no cores", () => {
    expect(() => otherFigures(withoutCostField("cores"))).toThrow("rerun npm run bench");
  });
});

describe("the refusal rows of the report", () => {
  const refusals = ["bad-checksum", "unknown-key", "wrong-secret"];
  /** The committed results, each refusal measured against `baseline` with these round ratios. */
  const withRefusals = (baseline: "bare" | "positive path" | undefined, ratios: number[]): BenchResults => ({
    ...results,
    scenarios: results.scenarios.map((s) =>
      refusals.includes(s.id)
        ? { ...s, baseline, rounds: ratios.map((ratio, i) => ({ ...(s.rounds[i] ?? s.rounds[0]!), ratio })) }
        : s,
    ),
  });
  const rows = (r: BenchResults) => scenarioFigures(r).filter((f) => f.figure.startsWith("Refusal"));

  it("gives each refusal's rate as a multiple of the positive path's, the median of the rounds", () => {
    const measured = rows(withRefusals("positive path", [1.04, 0.93, 0.97]));
    expect(measured).toHaveLength(3);
    for (const row of measured) {
      expect(row).toMatchObject({ goal: "≥ 0.95× positive path", value: "0.97×", pass: true });
      expect(row.raw).toMatch(/^req\/s vs positive path: /);
    }
  });

  it("fails a refusal slower than the positive path by more than 5 %", () => {
    const measured = rows(withRefusals("positive path", [0.96, 0.94, 0.9]));
    expect(measured.map((row) => [row.value, row.pass])).toEqual(Array(3).fill(["0.94×", false]));
  });

  it("refuses refusals measured against bare, whose ratios mean something else", () => {
    expect(() => rows(withRefusals(undefined, [1, 1, 1]))).toThrow("rerun npm run bench");
    expect(() => rows(withRefusals("bare", [1, 1, 1]))).toThrow("not the positive path");
  });
});

describe("the scale rows of the report", () => {
  const baselines = { "basic-cached-1m": "positive path", "basic-uncached-1m": "uncached 1 k" } as const;
  type Large = keyof typeof baselines;
  /** The committed results, each 1 M server measured with these round ratios against `baseline` (default: its own). */
  const withScale = (
    ratios: Record<Large, number[]>,
    baseline: (id: Large) => "bare" | "positive path" | "uncached 1 k" | undefined = (id) => baselines[id],
  ): BenchResults => ({
    ...results,
    scenarios: results.scenarios.map((s) => {
      if (!(s.id in baselines)) return s;
      const id = s.id as Large;
      const { baseline: _measured, ...rest } = s;
      const against = baseline(id);
      return {
        ...rest,
        ...(against ? { baseline: against } : {}),
        rounds: ratios[id].map((ratio, i) => ({ ...(s.rounds[i] ?? s.rounds[0]!), ratio })),
      };
    }),
  });
  const rows = (r: BenchResults) => scenarioFigures(r).filter((f) => f.figure.startsWith("Scale"));

  it("gives each 1 M server's rate as a multiple of its 1 k neighbours', the median of its rounds", () => {
    const measured = rows(withScale({ "basic-cached-1m": [0.91, 0.83, 1.02], "basic-uncached-1m": [0.7, 0.88, 0.86] }));
    expect(measured.map((row) => [row.figure, row.value, row.pass])).toEqual([
      ["Scale, cached: 1,000,000 stored credentials vs 1 k", "0.91×", true],
      ["Scale, uncached: 1,000,000 stored credentials vs 1 k", "0.86×", true],
    ]);
    expect(measured[0]?.chart).toEqual({ value: 0.91, goal: 0.85 });
    expect(measured[0]?.raw).toMatch(/^req\/s vs 1 k: \d+\/\d+ \(0\.91\)( ⚠)?, \d+\/\d+ \(0\.83\)( ⚠)?, /);
    expect(measured[1]?.raw).toMatch(/^req\/s vs 1 k: \d+\/\d+ \(0\.70\)( ⚠)?, \d+\/\d+ \(0\.88\)( ⚠)?, /);
    const slower = rows(withScale({ "basic-cached-1m": [0.86, 0.84, 0.8], "basic-uncached-1m": [0.9, 0.9, 0.9] }));
    expect(slower.map((row) => [row.value, row.pass])).toEqual([
      ["0.84×", false],
      ["0.90×", true],
    ]);
  });

  it("refuses 1 M servers measured against bare or against the other kind's 1 k server", () => {
    const ones = { "basic-cached-1m": [1, 1, 1], "basic-uncached-1m": [1, 1, 1] };
    // Results from before the change name no baseline: their 1 M servers ran against bare.
    expect(() => rows(withScale(ones, () => undefined))).toThrow("against bare, not the positive path: rerun");
    expect(() => rows(withScale(ones, () => "bare"))).toThrow("rerun npm run bench");
    expect(() => rows(withScale(ones, () => "positive path"))).toThrow("not the uncached 1 k");
    expect(() => rows(withScale(ones, () => "uncached 1 k"))).toThrow("not the positive path");
  });
});

describe("ratioAgainst", () => {
  it("shows two decimals where they tell the side of the goal", () => {
    expect(ratioAgainst(0.7234, 0.7)).toBe("0.72");
    expect(ratioAgainst(0.6849, 0.7)).toBe("0.68");
  });

  it("shows three where two would round a miss or a pass onto the goal", () => {
    expect(ratioAgainst(0.6956, 0.7)).toBe("0.696");
    expect(ratioAgainst(0.7042, 0.7)).toBe("0.704");
    expect(ratioAgainst(0.7, 0.7)).toBe("0.70");
  });

  it("adds decimals until the value parts from its goal, up to six", () => {
    expect(ratioAgainst(0.6996, 0.7)).toBe("0.6996");
    expect(ratioAgainst(2.0000000000000004, 2)).toBe("2.000000");
    expect(ratioAgainst(1.9999, 2)).toBe("1.9999");
  });
});

describe("collectionsByRound", () => {
  it("gives each round's count, and the pauses of those that had any", () => {
    expect(
      collectionsByRound([
        { count: 0, pauseMs: 0 },
        { count: 2, pauseMs: 33.6 },
      ]),
    ).toBe("0, 2 (34 ms)");
  });
});
