/** Full (mark-compact) garbage collections of a Keyturn server: since it started, or between two readings. */
export interface FullCollections {
  count: number;
  /** Their pauses added up, in ms (prom-client times each collection's pause, not its concurrent marking). */
  pauseMs: number;
}

/** The server's waits for a pooled MySQL connection: since it started, or between two readings. */
export interface PoolWaits {
  count: number;
  /** The waits added up, in ms. */
  totalMs: number;
}

/** What the bench reads of a Keyturn server's /metrics around each mutation run. */
export interface ServerMetrics {
  fullCollections: FullCollections;
  poolWaits: PoolWaits;
}

const GC_SERIES = "keyturn_nodejs_gc_duration_seconds";
const POOL_WAIT_SERIES = "keyturn_db_pool_wait_seconds";

/** A missing histogram is an error, not 0, so that a renamed metric cannot read as none. */
function requireHistogram(metrics: string, series: string): void {
  if (!metrics.includes(`# TYPE ${series} histogram`)) throw new Error(`/metrics has no ${series} histogram`);
}

/**
 * Reads the server's GC histogram (kind="major"; server/src/metrics.ts records every collection)
 * from its /metrics text. The histogram has no "major" series until the first full collection, so
 * a missing series counts 0.
 */
export function parseFullCollections(metrics: string): FullCollections {
  requireHistogram(metrics, GC_SERIES);
  const value = (suffix: "count" | "sum"): number => {
    // Other labels (a deployment's default labels) may come before or after `kind`.
    const match = new RegExp(`^${GC_SERIES}_${suffix}\\{[^}]*\\bkind="major"[^}]*\\} (\\S+)$`, "m").exec(metrics);
    return match?.[1] === undefined ? 0 : Number(match[1]);
  };
  return { count: value("count"), pauseMs: value("sum") * 1000 };
}

/** Reads the server's pool wait histogram (server/src/metrics.ts) from its /metrics text. */
export function parsePoolWaits(metrics: string): PoolWaits {
  requireHistogram(metrics, POOL_WAIT_SERIES);
  const value = (suffix: "count" | "sum"): number => {
    // Unlabelled, or with a deployment's default labels.
    const match = new RegExp(`^${POOL_WAIT_SERIES}_${suffix}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metrics);
    if (match?.[1] === undefined) throw new Error(`/metrics has no ${POOL_WAIT_SERIES}_${suffix}`);
    return Number(match[1]);
  };
  return { count: value("count"), totalMs: value("sum") * 1000 };
}

/** The readings of the server at `url` so far. */
export async function serverMetrics(url: string): Promise<ServerMetrics> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`);
  const text = await response.text();
  return { fullCollections: parseFullCollections(text), poolWaits: parsePoolWaits(text) };
}

/** The mean of the waits, in ms (0 without any). */
export function meanPoolWaitMs(waits: PoolWaits): number {
  return waits.count ? waits.totalMs / waits.count : 0;
}

/** What happened between two readings. */
export function serverMetricsBetween(before: ServerMetrics, after: ServerMetrics): ServerMetrics {
  return {
    fullCollections: {
      count: after.fullCollections.count - before.fullCollections.count,
      pauseMs: after.fullCollections.pauseMs - before.fullCollections.pauseMs,
    },
    poolWaits: {
      count: after.poolWaits.count - before.poolWaits.count,
      totalMs: after.poolWaits.totalMs - before.poolWaits.totalMs,
    },
  };
}
