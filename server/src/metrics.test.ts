import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "@jest/globals";
import type { Database } from "./database/database";
import { Histogram, Registry } from "prom-client";
import { HotHistogram, Metrics } from "./metrics";

// Only the pool's metrics read the database; without a MySQL pool they report nothing.
const noPool = { poolStats: () => null, observePoolWaits: () => undefined } as unknown as Database;

async function series(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries(
    (metric?.values ?? []).map((value) => [Object.values(value.labels).join(","), value.value]),
  );
}

describe("Metrics tallies", () => {
  it("reach Prometheus as cumulative counter values, scrape after scrape, never counted twice", async () => {
    const metrics = new Metrics(noPool, () => 0);
    const valid = metrics.tally(metrics.verifications, { outcome: "valid" });
    const wrong = metrics.tally(metrics.verifications, { outcome: "wrong_secret" });
    const hit = metrics.tally(metrics.cacheLookups, { result: "hit" });

    for (let i = 0; i < 5; i++) valid.inc();
    wrong.inc();
    hit.inc();
    hit.inc();
    expect(await series(metrics, "keyturn_verifications_total")).toEqual({ valid: 5, wrong_secret: 1 });
    expect(await series(metrics, "keyturn_credential_cache_lookups_total")).toEqual({ hit: 2 });

    // A scrape with nothing new reads the same totals; new increments add to them.
    expect(await series(metrics, "keyturn_verifications_total")).toEqual({ valid: 5, wrong_secret: 1 });
    valid.inc();
    hit.inc();
    expect(await series(metrics, "keyturn_verifications_total")).toEqual({ valid: 6, wrong_secret: 1 });
    expect(await series(metrics, "keyturn_credential_cache_lookups_total")).toEqual({ hit: 3 });
    expect(await metrics.registry.metrics()).toContain('keyturn_verifications_total{outcome="valid"} 6');
  });

  it("keep each app's counts to its own registry", async () => {
    const first = new Metrics(noPool, () => 0);
    const second = new Metrics(noPool, () => 0);
    first.tally(first.verifications, { outcome: "valid" }).inc();
    expect(await series(first, "keyturn_verifications_total")).toEqual({ valid: 1 });
    expect(await series(second, "keyturn_verifications_total")).toEqual({});
  });
});

describe("the pool wait histogram", () => {
  it("records every wait the database reports, in its own app's registry", async () => {
    let report: ((seconds: number) => void) | undefined;
    const db = { poolStats: () => null, observePoolWaits: (observer: typeof report) => (report = observer) };
    const metrics = new Metrics(db as unknown as Database, () => 0);
    const other = new Metrics(noPool, () => 0);
    report?.(0.0003);
    report?.(0.04);
    expect(await series(metrics, "keyturn_db_pool_wait_seconds")).toMatchObject({
      "0.0005": 1,
      "0.05": 2,
      "+Inf": 2,
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain("keyturn_db_pool_wait_seconds_count 2");
    expect(text).toMatch(/keyturn_db_pool_wait_seconds_sum 0\.0403/);
    expect(await other.registry.metrics()).toContain("keyturn_db_pool_wait_seconds_count 0");
  });
});

describe("HotHistogram", () => {
  const bounds = [0.001, 0.01, 0.1];
  // On a bound, between bounds, below the first, above the last, and zero.
  const observations = [0.001, 0.0005, 0.01, 0.05, 0.1, 0.2, 7, 0, 0.001];

  it("reads exactly like prom-client's own histogram given the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const hot = new HotHistogram("latency_seconds", "Latency.", bounds, ours);
    const reference = new Histogram({
      name: "latency_seconds",
      help: "Latency.",
      buckets: bounds,
      registers: [theirs],
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    for (const value of observations) {
      hot.observe(value);
      reference.observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('latency_seconds_bucket{le="0.01"} 5');

    ours.resetMetrics();
    theirs.resetMetrics();
    hot.observe(0.02);
    reference.observe(0.02);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});

describe("the GC histogram", () => {
  // V8's gc() for this test alone: the flag must be set before a context that exposes it is made.
  setFlagsFromString("--expose-gc");
  // gc() is a full collection; { type: "minor" } a young one.
  const gc = runInNewContext("gc") as (options?: { type: "minor" }) => void;

  it("counts every collection, a full one after a young one in the same turn included", async () => {
    const metrics = new Metrics(noPool, () => 0);
    const count = async (kind: string) => {
      const text = await metrics.registry.metrics();
      const line = new RegExp(`^keyturn_nodejs_gc_duration_seconds_count\\{kind="${kind}"\\} (\\d+)$`, "m").exec(text);
      return Number(line?.[1] ?? 0);
    };
    const counts = async () => ({ major: await count("major"), minor: await count("minor") });
    const before = await counts();
    // Node hands both to the observer in one batch; prom-client's own histogram kept the first only.
    for (let i = 0; i < 3; i++) {
      gc({ type: "minor" });
      gc();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await counts();
    expect(after.major - before.major).toBeGreaterThanOrEqual(3);
    expect(after.minor - before.minor).toBeGreaterThanOrEqual(3);
  });
});
