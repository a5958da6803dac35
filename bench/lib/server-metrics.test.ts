import { describe, expect, it } from "@jest/globals";
import { parseFullCollections, parsePoolWaits, serverMetricsBetween } from "./server-metrics";

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

describe("parsePoolWaits", () => {
  const POOL_HEADER = `# HELP keyturn_db_pool_wait_seconds Time MySQL operations waited for a pooled connection.
# TYPE keyturn_db_pool_wait_seconds histogram
`;

  it("reads the waits' count and total time", () => {
    const metrics =
      POOL_HEADER +
      `keyturn_db_pool_wait_seconds_bucket{le="0.05"} 7
keyturn_db_pool_wait_seconds_bucket{le="+Inf"} 8
keyturn_db_pool_wait_seconds_sum 0.1875
keyturn_db_pool_wait_seconds_count 8
`;
    const waits = parsePoolWaits(metrics);
    expect(waits.count).toBe(8);
    expect(waits.totalMs).toBeCloseTo(187.5);
  });

  it("reads the series with a deployment's default labels", () => {
    const metrics =
      POOL_HEADER + `keyturn_db_pool_wait_seconds_sum{pod="a"} 0.5\nkeyturn_db_pool_wait_seconds_count{pod="a"} 4\n`;
    expect(parsePoolWaits(metrics)).toEqual({ count: 4, totalMs: 500 });
  });

  it("refuses metrics without the histogram or its series", () => {
    expect(() => parsePoolWaits(HEADER)).toThrow(/no keyturn_db_pool_wait_seconds histogram/);
    expect(() => parsePoolWaits(POOL_HEADER)).toThrow(/no keyturn_db_pool_wait_seconds_count/);
  });
});

describe("serverMetricsBetween", () => {
  it("subtracts the earlier reading", () => {
    expect(
      serverMetricsBetween(
        { fullCollections: { count: 1, pauseMs: 10 }, poolWaits: { count: 100, totalMs: 250 } },
        { fullCollections: { count: 3, pauseMs: 42 }, poolWaits: { count: 160, totalMs: 1_450 } },
      ),
    ).toEqual({ fullCollections: { count: 2, pauseMs: 32 }, poolWaits: { count: 60, totalMs: 1_200 } });
  });
});
