/** Full (mark-compact) garbage collections of a Keyturn server: since it started, or between two readings. */
export interface FullCollections {
  count: number;
  /** Their pauses added up, in ms (prom-client times each collection's pause, not its concurrent marking). */
  pauseMs: number;
}

const SERIES = "keyturn_nodejs_gc_duration_seconds";

/**
 * Reads the server's GC histogram (kind="major"; server/src/metrics.ts records every collection)
 * from its /metrics text. The histogram has no "major" series until the first full collection, so a missing series
 * counts 0; a missing histogram is an error, not 0, so that a renamed metric cannot read as none.
 */
export function parseFullCollections(metrics: string): FullCollections {
  if (!metrics.includes(`# TYPE ${SERIES} histogram`)) {
    throw new Error(`/metrics has no ${SERIES} histogram`);
  }
  const value = (suffix: "count" | "sum"): number => {
    // Other labels (a deployment's default labels) may come before or after `kind`.
    const match = new RegExp(`^${SERIES}_${suffix}\\{[^}]*\\bkind="major"[^}]*\\} (\\S+)$`, "m").exec(metrics);
    return match?.[1] === undefined ? 0 : Number(match[1]);
  };
  return { count: value("count"), pauseMs: value("sum") * 1000 };
}

/** Full collections so far of the server at `url`. */
export async function fullCollections(url: string): Promise<FullCollections> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`${url}/metrics answered ${response.status}`);
  return parseFullCollections(await response.text());
}

/** What happened between two readings. */
export function fullCollectionsBetween(before: FullCollections, after: FullCollections): FullCollections {
  return { count: after.count - before.count, pauseMs: after.pauseMs - before.pauseMs };
}
