import { describe, expect, it } from "@jest/globals";
import { fullCollectionsBetween, parseFullCollections } from "./full-collections";

const HEADER = `# HELP keyturn_nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE keyturn_nodejs_gc_duration_seconds histogram
`;

describe("parseFullCollections", () => {
  it("reads the major collections' count and pause time", () => {
    const metrics =
      HEADER +
      `keyturn_nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 40
keyturn_nodejs_gc_duration_seconds_sum{kind="minor"} 0.09
keyturn_nodejs_gc_duration_seconds_count{kind="minor"} 41
keyturn_nodejs_gc_duration_seconds_bucket{le="0.1",kind="major"} 2
keyturn_nodejs_gc_duration_seconds_sum{kind="major"} 0.0345
keyturn_nodejs_gc_duration_seconds_count{kind="major"} 2
`;
    const collections = parseFullCollections(metrics);
    expect(collections.count).toBe(2);
    expect(collections.pauseMs).toBeCloseTo(34.5);
  });

  it("reads the series with other labels around kind", () => {
    const metrics =
      HEADER +
      `keyturn_nodejs_gc_duration_seconds_sum{region="eu",kind="major",pod="a"} 0.02
keyturn_nodejs_gc_duration_seconds_count{region="eu",kind="major",pod="a"} 1
keyturn_nodejs_gc_duration_seconds_count{region="eu",kind="minor",pod="a"} 9
`;
    expect(parseFullCollections(metrics).count).toBe(1);
  });

  it("counts none before the first full collection", () => {
    const metrics = HEADER + `keyturn_nodejs_gc_duration_seconds_count{kind="minor"} 3\n`;
    expect(parseFullCollections(metrics)).toEqual({ count: 0, pauseMs: 0 });
  });

  it("refuses metrics without the GC histogram", () => {
    expect(() => parseFullCollections("keyturn_http_requests_total 3\n")).toThrow(
      /no keyturn_nodejs_gc_duration_seconds/,
    );
  });
});

describe("fullCollectionsBetween", () => {
  it("subtracts the earlier reading", () => {
    expect(fullCollectionsBetween({ count: 1, pauseMs: 10 }, { count: 3, pauseMs: 42 })).toEqual({
      count: 2,
      pauseMs: 32,
    });
  });
});
