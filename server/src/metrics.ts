import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Database } from "./database/database";

/**
 * Prometheus metrics, one registry per app (tests run several apps in one process). Labels are
 * fixed sets chosen here, never client input, so a client cannot grow the series.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly verifications = new Counter({
    name: "keyturn_verifications_total",
    help: "Credential verifications by outcome (valid, or why it was refused).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly verificationSeconds = new Histogram({
    name: "keyturn_verification_duration_seconds",
    help: "Time to answer /v1/verify and the analytics route.",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: "keyturn_credential_cache_lookups_total",
    help: "Verification cache lookups: hit, miss, or stale (served while the database is down).",
    labelNames: ["result"] as const,
    registers: [this.registry],
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

  constructor(db: Database, cacheSize: () => number) {
    collectDefaultMetrics({ register: this.registry, prefix: "keyturn_" });
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
