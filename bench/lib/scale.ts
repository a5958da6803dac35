import type { ScenarioResult } from "./report";

/** Throughput with many stored credentials against few, round by round. */
export function scalePairs(
  large: ScenarioResult,
  small: ScenarioResult,
): Array<{ large: number; small: number; ratio: number }> {
  if (large.rounds.length !== small.rounds.length) {
    throw new Error(`${large.id} and ${small.id} ran ${large.rounds.length} and ${small.rounds.length} rounds`);
  }
  return large.rounds.map((round, i) => {
    const smallRps = small.rounds[i]?.c50.rps ?? NaN;
    return { large: round.c50.rps, small: smallRps, ratio: round.c50.rps / smallRps };
  });
}
