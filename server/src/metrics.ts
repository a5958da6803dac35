import { PerformanceObserver, constants } from "node:perf_hooks";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type LabelValues, type Metric } from "prom-client";
import type { Database } from "./database/database";

/**
 * Prometheus metrics, one registry per app (tests run several apps in one process). Labels are
 * fixed sets chosen here, never client input, so a client cannot grow the series.
 */
export class Metrics {
  readonly registry = new Registry();

  // Each counter's tallies, added to it when the registry collects that counter.
  private readonly tallies = new Map<object, Tally[]>();

  readonly verifications = new Counter({
    name: "keyturn_verifications_total",
    help: "Credential verifications by outcome (valid, or why it was refused).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
    collect: () => {
      this.flushTallies(this.verifications);
    },
  });

  readonly verificationSeconds = new HotHistogram(
    "keyturn_verification_duration_seconds",
    "Time to answer /v1/verify and the analytics route.",
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    this.registry,
  );

  readonly cacheLookups = new Counter({
    name: "keyturn_credential_cache_lookups_total",
    help: "Verification cache lookups: hit, miss, or stale (served while the database is down).",
    labelNames: ["result"] as const,
    registers: [this.registry],
    collect: () => {
      this.flushTallies(this.cacheLookups);
    },
  });

  readonly operations = new Counter({
    name: "keyturn_graphql_operations_total",
    help: "GraphQL operations by root field and outcome (ok, or the error code).",
    labelNames: ["field", "outcome"] as const,
    registers: [this.registry],
  });

  readonly operationSeconds = new Histogram({
    name: "keyturn_graphql_duration_seconds",
    help: "Time to answer a GraphQL operation, by root field.",
    labelNames: ["field"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  // Observed on every MySQL operation, uncached verification lookups among them: a HotHistogram.
  readonly poolWaitSeconds = new HotHistogram(
    "keyturn_db_pool_wait_seconds",
    "Time each MySQL operation waited for a pooled connection, opening one included; waits that hit the acquire deadline or failed to connect count too.",
    [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5, 5],
    this.registry,
  );

  /** A hot-path handle on one series of `counter`; see Tally. */
  tally<T extends string>(counter: Counter<T>, labels: LabelValues<T>): Tally {
    const tally = new Tally(counter, labels);
    const ofCounter = this.tallies.get(counter);
    if (ofCounter) ofCounter.push(tally);
    else this.tallies.set(counter, [tally]);
    return tally;
  }

  private flushTallies(counter: Counter): void {
    for (const tally of this.tallies.get(counter) ?? []) tally.flush();
  }

  constructor(db: Database, cacheSize: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: "keyturn_" });
    observeGarbageCollections(this.registry);
    db.observePoolWaits((seconds) => this.poolWaitSeconds.observe(seconds));
    // Gauges read at scrape time, so they cost nothing between scrapes.
    new Gauge({
      name: "keyturn_db_pool_connections",
      help: "MySQL pool connections: open, idle, and requests waiting for one.",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const stats = db.poolStats();
        if (!stats) return;
        this.set({ state: "open" }, stats.open);
        this.set({ state: "idle" }, stats.idle);
        this.set({ state: "waiting" }, stats.waiting);
      },
    });
    new Gauge({
      name: "keyturn_credential_cache_entries",
      help: "Entries in this instance's verification cache.",
      registers: [this.registry],
      collect() {
        this.set(cacheSize());
      },
    });
  }
}

const GC_SERIES = "keyturn_nodejs_gc_duration_seconds";
const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MAJOR, "major"],
  [constants.NODE_PERFORMANCE_GC_MINOR, "minor"],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, "incremental"],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, "weakcb"],
]);

/**
 * Replaces the default metrics' GC histogram with one that records every collection. prom-client's
 * (15.1.3) records only the first entry of each batch its PerformanceObserver receives, and Node
 * hands several collections over at once: a full collection that came after a young one in the
 * same batch was never counted. Same name, kinds and buckets, so dashboards read it unchanged.
 * prom-client's observer still runs, into a histogram no registry holds.
 */
function observeGarbageCollections(registry: Registry): void {
  registry.removeSingleMetric(GC_SERIES);
  const histogram = new Histogram({
    name: GC_SERIES,
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
    labelNames: ["kind"] as const,
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS.get((entry as { detail?: { kind?: number } }).detail?.kind ?? -1);
      if (kind) histogram.observe({ kind }, entry.duration / 1000);
    }
  }).observe({ entryTypes: ["gc"] });
}

/**
 * Increments of one labelled series, for the verification hot path: prom-client hashes and
 * validates the labels on every inc(), bound children included, so these count in a plain field
 * and are added to the counter when the registry collects (each scrape). Prometheus reads the same
 * totals; they are only late by the time since the last scrape, which a scrape never sees.
 */
export class Tally {
  private pending = 0;

  constructor(
    private readonly counter: Counter,
    private readonly labels: LabelValues<string>,
  ) {}

  inc(): void {
    this.pending++;
  }

  flush(): void {
    if (this.pending === 0) return;
    this.counter.inc(this.labels, this.pending);
    this.pending = 0;
  }
}

/** A series as prom-client's registry reads it (its typings do not match its runtime here). */
interface SeriesValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * A histogram without labels for the verification hot path, where an observation is a bucket
 * search and three additions. prom-client's `Histogram.observe` converts and validates labels,
 * hashes them and turns the bucket bound into a property key on every call: taking it out made
 * the cached route 1.18× faster under load on the bench machine (bench/notes.md, 2026-12-02). The registry reads this one like
 * its own histograms: same type, series and cumulative buckets.
 */
export class HotHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  // counts[i]: observations in (bounds[i - 1], bounds[i]]; the last slot is above every bound.
  private readonly counts: Float64Array;
  private sum = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    // The registry duck-types its metrics (name, get, reset); its typings list prom-client's own.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let slot = 0;
    while (slot < bounds.length && value > (bounds[slot] ?? Infinity)) slot++;
    this.counts[slot] = (this.counts[slot] ?? 0) + 1;
    this.sum += value;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SeriesValue[] }> {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    const values: SeriesValue[] = this.bounds.map((le, slot) => {
      cumulative += this.counts[slot] ?? 0;
      return { labels: { le }, value: cumulative, metricName: bucket };
    });
    const count = cumulative + (this.counts[this.bounds.length] ?? 0);
    values.push(
      { labels: { le: "+Inf" }, value: count, metricName: bucket },
      { labels: {}, value: this.sum, metricName: `${this.name}_sum` },
      { labels: {}, value: count, metricName: `${this.name}_count` },
    );
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
  }
}
