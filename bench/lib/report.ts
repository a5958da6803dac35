import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommitBaselineResult } from "../commit-baseline";
import type { WidgetRenderResult } from "../widget-render";
import { meanPoolWaitMs, type FullCollections, type PoolWaits } from "./server-metrics";
import type { Slice } from "./interleave";
import { log, median } from "./log";
import { profileNote } from "./profile-notes";
import { ROOT } from "./processes";
import { STEADY_SPREAD, steady } from "./steady";
import type { LoadResult } from "./wrk";

export interface Measurement {
  c50: LoadResult;
  c1: LoadResult;
  baselineRps: number;
  baselineP50: number;
  ratio: number;
  p50Ratio: number;
  /** How far apart its baseline's runs were (lib/steady.ts); absent in older results. */
  baselineSpread?: number;
  /** Its throughput slices, each between two of its baseline's (lib/interleave.ts); absent in older results. */
  slices?: Slice[];
}

/**
 * What a scenario's slices interleave with (run.ts): the bare server; the cached Basic-auth route
 * on the 1 k server (the refusals', and the cached 1 M server's); or the uncached 1 k server's
 * Basic-auth route (the uncached 1 M server's).
 */
export type Baseline = "bare" | "positive path" | "uncached 1 k";

export interface ScenarioResult {
  id: string;
  title: string;
  /** Absent in results before 2026-12-04's sixth session, when every scenario's was bare. */
  baseline?: Baseline;
  rounds: Measurement[];
}

/**
 * The operation name (in `mutations.results` and `mutations.costs`) of the rotations with a grace
 * period; "rotateSecret" names those without one.
 */
export const GRACE_ROTATION = "rotateSecretWithGrace";

/** What one mutation run cost: CPU time per mutation in µs, the server's full collections and pool waits, and the cores. */
export interface MutationCost {
  serverMicros: number;
  mariadbMicros: number | null;
  /** Null for the raw server, which has no /metrics. */
  fullCollections: FullCollections | null;
  /**
   * Keyturn's waits for one of its pooled connections (null for the raw server): at 50 admins
   * most of a mutation's latency (bench/notes.md, 2026-12-06, sixteenth session).
   */
  poolWaits: PoolWaits | null;
  cores: MutationCores;
}

/**
 * How the cores' time went during a mutation run, each a share of that core's time: whether the
 * server's core or the machine bounds the rate (bench/notes.md, 2026-12-06, fifteenth session).
 * What the server core spent beyond the server's own CPU and steal was other processes' (MariaDB's
 * threads, the bench's runner) and interrupts that struck it idle; the load core runs wrk and
 * MariaDB's threads.
 */
export interface MutationCores {
  serverCoreBusy: number;
  /** The server's own CPU, all its threads (they are pinned to its core). */
  serverProcess: number;
  /**
   * Hard and soft interrupts on the server core, loopback networking's among them. Not beside the
   * processes' CPU but mostly within it: the bench VMs' kernels charge an interrupted tick to the
   * process it struck too (lib/processes.ts, CoreTimes).
   */
  serverCoreInterrupts: number;
  /** Time the hypervisor took from the server core for another guest. */
  serverCoreSteal: number;
  loadCoreBusy: number;
}

export interface BenchResults {
  date: string;
  durationSeconds: number;
  machine: { cpu: string; cores: number; kernel: string; loadBefore: string; loadAfter: string };
  versions: Record<string, string>;
  method: {
    rounds: number;
    /** A target's throughput per round, in seconds: `slices` slices (lib/interleave.ts). */
    seconds: number;
    slices: number;
    latencySeconds: number;
    /** The bare server's single-client runs around a target's, since 2026-12-04. */
    bareLatencySeconds?: number;
    storedLarge: number;
    mutationSeconds: number;
    /** Each operation's warm-up in the first round (1 s in the others). */
    mutationFirstWarmUpSeconds: number;
    /** Each verification server's warm-up before the first round; absent in older results. */
    verificationFirstWarmUpSeconds?: number;
    baselineSeconds: number;
    /** The mutation server's DB_POOL_SIZE: the commit baseline's connections. */
    poolSize: number;
    /** The grace period of the GRACE_ROTATION operation's rotations. */
    rotationGraceSeconds: number;
  };
  scenarios: ScenarioResult[];
  queries: {
    badChecksum: { requests: number; selects: number };
    unknownFirst: { requests: number; selects: number };
    unknownWarm: { requests: number; selects: number };
    distinctUnknown: number;
  };
  cacheMemory: { entries: number; bytesPerEntry: number };
  mutations: {
    /** By operation and connections ("createSecret c10"), one result per round. */
    results: Record<string, LoadResult[]>;
    /** CPU per mutation of the server and of MariaDB (null when it is not local) and the server's full collections, keyed and ordered as `results`. */
    costs: Record<string, MutationCost[]>;
    /** MariaDB alone (commit-baseline.ts) at the server's pool size, one result per round. */
    commitBaseline: CommitBaselineResult[];
    credentials: number;
    duplicateKeyIds: number;
  };
  memory: { idleRssMb: number; loadedRssMb: number };
  startupMs: number[];
  widget: WidgetRenderResult;
  profile: { samples: number; busyShare: number; top: Array<{ name: string; share: number }> };
}

interface Figure {
  figure: string;
  goal: string;
  value: string;
  /** null for a reference row, which has no goal of its own. */
  pass: boolean | null;
  raw: string;
  /** For the chart: a ratio and its goal (higher is better). */
  chart?: { value: number; goal: number };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
/** A ratio to two decimals, or to as many more (up to six) as it takes to tell it from its goal (0.696 against 0.70). */
export function ratioAgainst(value: number, goal: number): string {
  let digits = 2;
  while (digits < 6 && value !== goal && fmt(value, digits) === fmt(goal, digits)) digits++;
  return fmt(value, digits);
}

/** Each round's full collections, with their pauses: "0, 1 (17 ms), 0". */
export function collectionsByRound(rounds: readonly FullCollections[]): string {
  return rounds.map((c) => (c.count ? `${c.count} (${c.pauseMs.toFixed(0)} ms)` : "0")).join(", ");
}

/** The mean wait for a pooled connection of each round, in ms. */
export function poolWaitsByRound(rounds: readonly PoolWaits[]): string {
  return `${rounds.map((waits) => meanPoolWaitMs(waits).toFixed(1)).join(", ")} ms`;
}

/** The cores of one run or more (a row's rounds), each share in whole per cent, in order. */
export function coresBusy(runs: readonly MutationCores[]): string {
  const percent = (share: (cores: MutationCores) => number) =>
    `${runs.map((cores) => Math.round(share(cores) * 100)).join(", ")} %`;
  return (
    `server core busy ${percent((c) => c.serverCoreBusy)} (the server's own CPU ${percent((c) => c.serverProcess)}, ` +
    `steal ${percent((c) => c.serverCoreSteal)}; interrupts ${percent((c) => c.serverCoreInterrupts)} within them), ` +
    `load core busy ${percent((c) => c.loadCoreBusy)}`
  );
}
/** Its baseline's runs around it were too far apart to stand for the machine's speed during it (lib/steady.ts). */
const unsteady = (r: Measurement) => !steady(r.baselineSpread ?? 0);
const ms = (n: number) => `${n < 1 ? n.toFixed(3) : n.toFixed(1)} ms`;

export function scenarioFigures(results: BenchResults): Figure[] {
  const byId = new Map(results.scenarios.map((s) => [s.id, s]));
  const get = (id: string) => {
    const s = byId.get(id);
    if (!s) throw new Error(`no scenario ${id}`);
    return s;
  };
  /** A scenario whose figure means something only against `baseline`; older results ran against bare. */
  const measuredAgainst = (id: string, baseline: Baseline) => {
    const s = get(id);
    if (s.baseline !== baseline) {
      throw new Error(`${id} was measured against ${s.baseline ?? "bare"}, not the ${baseline}: rerun npm run bench`);
    }
    return s;
  };
  const ratio = (s: ScenarioResult) => median(s.rounds.map((r) => r.ratio));
  const p50Ratio = (s: ScenarioResult) => median(s.rounds.map((r) => r.p50Ratio));
  const p50 = (s: ScenarioResult) => median(s.rounds.map((r) => r.c1.p50));
  // A round whose baseline's runs disagree is marked, so the reader can weigh it.
  const mark = (r: Measurement) => (unsteady(r) ? " ⚠" : "");
  const raw = (s: ScenarioResult, goal: number) =>
    s.rounds
      .map((r) => `${Math.round(r.c50.rps)}/${Math.round(r.baselineRps)} (${ratioAgainst(r.ratio, goal)})${mark(r)}`)
      .join(", ");
  const rawP50 = (s: ScenarioResult) =>
    s.rounds.map((r) => `${ms(r.c1.p50)} vs ${ms(r.baselineP50)}${mark(r)}`).join(", ");

  const figures: Figure[] = [];
  const throughput = (id: string, name: string, goal: number) => {
    const s = get(id);
    const value = ratio(s);
    figures.push({
      figure: `${name}: throughput at c = 50`,
      goal: `≥ ${fmt(goal)}× bare`,
      value: `${ratioAgainst(value, goal)}×`,
      pass: value >= goal,
      raw: `req/s vs bare: ${raw(s, goal)}`,
      chart: { value, goal },
    });
  };
  const latencyRatio = (id: string, name: string, goal: number) => {
    const s = get(id);
    const value = p50Ratio(s);
    figures.push({
      figure: `${name}: p50 at c = 1`,
      goal: `≤ ${fmt(goal, 1)}× bare`,
      value: `${ratioAgainst(value, goal)}× (${ms(p50(s))})`,
      pass: value <= goal,
      raw: rawP50(s),
    });
  };
  throughput("basic-cached", "Cached verification, Basic-auth route", 0.7);
  latencyRatio("basic-cached", "Cached verification, Basic-auth route", 2);
  throughput("verify-cached", "Cached verification, POST /v1/verify", 0.6);
  latencyRatio("verify-cached", "Cached verification, POST /v1/verify", 2);
  throughput("basic-uncached", "Uncached verification (MariaDB lookup)", 0.3);
  {
    const s = get("basic-uncached");
    figures.push({
      figure: "Uncached verification: p50 at c = 1",
      goal: "≤ 0.5 ms",
      value: ms(p50(s)),
      pass: p50(s) <= 0.5,
      raw: rawP50(s),
    });
  }
  for (const [id, name] of [
    ["bad-checksum", "Refusal, bad checksum"],
    ["unknown-key", "Refusal, unknown Key ID (negative cache)"],
    ["wrong-secret", "Refusal, wrong secret"],
  ] as const) {
    const s = measuredAgainst(id, "positive path");
    const value = ratio(s);
    // "No slower than the positive path", within the noise of one figure (5 %).
    figures.push({
      figure: `${name}: throughput at c = 50`,
      goal: "≥ 0.95× positive path",
      value: `${ratioAgainst(value, 0.95)}×`,
      pass: value >= 0.95,
      raw: `req/s vs positive path: ${raw(s, 0.95)}`,
      chart: { value, goal: 0.95 },
    });
  }
  for (const [id, name, baseline] of [
    ["basic-cached-1m", "cached", "positive path"],
    ["basic-uncached-1m", "uncached", "uncached 1 k"],
  ] as const) {
    // The 1 M server's slices alternate with the 1 k server's of its kind, as the refusals' with the
    // positive path's: two servers' rates taken seconds apart would carry the VM's drift between.
    const s = measuredAgainst(id, baseline);
    const value = ratio(s);
    figures.push({
      figure: `Scale, ${name}: ${results.method.storedLarge.toLocaleString("en")} stored credentials vs 1 k`,
      goal: "≥ 0.85×",
      value: `${ratioAgainst(value, 0.85)}×`,
      pass: value >= 0.85,
      raw: `req/s vs 1 k: ${raw(s, 0.85)}`,
      chart: { value, goal: 0.85 },
    });
  }
  return figures;
}

export function otherFigures(results: BenchResults): Figure[] {
  const { queries, cacheMemory, mutations, memory, startupMs, widget } = results;
  const figures: Figure[] = [
    {
      figure: "Bad checksum: database queries",
      goal: "0",
      value: String(queries.badChecksum.selects),
      pass: queries.badChecksum.selects === 0,
      raw: `${queries.badChecksum.requests} requests, MariaDB Com_select +${queries.badChecksum.selects}`,
    },
    {
      figure: `Unknown Key IDs (${queries.distinctUnknown} distinct), warm negative cache: database queries`,
      goal: "0",
      value: String(queries.unknownWarm.selects),
      pass: queries.unknownWarm.selects === 0,
      raw: `first pass ${queries.unknownFirst.requests} requests → ${queries.unknownFirst.selects} SELECTs; then ${queries.unknownWarm.requests} requests → ${queries.unknownWarm.selects}`,
    },
    {
      figure: "Cache memory per entry",
      goal: "≤ 300 B",
      value: `${Math.round(cacheMemory.bytesPerEntry)} B`,
      pass: cacheMemory.bytesPerEntry <= 300,
      raw: `${cacheMemory.entries.toLocaleString("en")} entries, heap growth incl. Key ID strings`,
    },
  ];
  const runs = (key: string) => {
    const rounds = mutations.results[key];
    if (!Array.isArray(rounds) || rounds.length === 0) {
      throw new Error(`bench/results/latest.json has no rounds for ${key}: rerun npm run bench`);
    }
    const costs = mutations.costs[key];
    if (
      !Array.isArray(costs) ||
      costs.length !== rounds.length ||
      costs.some((cost) => !("cores" in cost) || !("poolWaits" in cost))
    ) {
      throw new Error(`bench/results/latest.json has no costs for ${key}: rerun npm run bench`);
    }
    const collections = costs.map((r) => r.fullCollections);
    const waits = costs.map((r) => r.poolWaits);
    const mariadbCpu = costs.map((r) => r.mariadbMicros).filter((us): us is number => us !== null);
    const errors = rounds.reduce((sum, r) => sum + (r.counters.errors ?? NaN), 0);
    const p99 = median(rounds.map((r) => r.p99));
    const rps = median(rounds.map((r) => r.rps));
    return {
      rounds,
      p99,
      rps,
      errors,
      value: `p99 ${ms(p99)}, ${Math.round(rps)}/s, ${errors} errors`,
      byRound: `by round: ${rounds.map((r) => `${Math.round(r.rps)}/s p99 ${ms(r.p99)}`).join(", ")}; p50 ${ms(median(rounds.map((r) => r.p50)))}`,
      cost:
        `CPU per mutation: server ${Math.round(median(costs.map((r) => r.serverMicros)))} µs, MariaDB ` +
        (mariadbCpu.length ? `${Math.round(median(mariadbCpu))} µs` : "n/a (not local)") +
        (collections.every((c): c is FullCollections => c !== null)
          ? `; full collections by round: ${collectionsByRound(collections)}`
          : "") +
        (waits.every((w): w is PoolWaits => w !== null)
          ? `; mean wait for a pooled connection by round: ${poolWaitsByRound(waits)}`
          : "") +
        `; by round, ${coresBusy(costs.map((r) => r.cores))}`,
    };
  };
  // The raw server's create and rotation at each concurrency: reference rows of their own, and the
  // measure of Keyturn's rate of the same operation, run seconds before it in the same round.
  // Rotations with a grace period have none: the raw rotation has no grace period.
  const raws = new Map(
    [
      {
        operation: "createSecret",
        key: "rawCreate",
        name: "raw create",
        what: "createSecret's statements",
        goal: "none (the goals' source)",
      },
      {
        operation: "rotateSecret",
        key: "rawRotate",
        name: "raw rotation",
        what: "rotateSecret's procedure (no grace period)",
        goal: "none (the floor under Keyturn's)",
      },
    ].map((raw) => [
      raw.operation,
      {
        ...raw,
        byConnections: new Map([50, 10].map((connections) => [connections, runs(`${raw.key} c${connections}`)])),
      },
    ]),
  );
  const graceHours = results.method.rotationGraceSeconds / 3600;
  const operations = [
    ["createSecret", "createSecret"],
    ["rotateSecret", "rotateSecret"],
    [GRACE_ROTATION, `rotateSecret with a ${graceHours} h grace period`],
  ] as const;
  for (const [name, label] of operations) {
    for (const [connections, goal] of [
      [50, 50],
      [10, 25],
    ] as const) {
      const run = runs(`${name} c${connections}`);
      const rawOf = raws.get(name);
      const raw = rawOf?.byConnections.get(connections);
      const ofRaw =
        raw &&
        `${fmt(median(run.rounds.map((r, i) => r.rps / (raw.rounds[i]?.rps ?? NaN))))}× the ${rawOf?.name}'s rate`;
      figures.push({
        figure: `${label} through GraphQL, ${connections} concurrent admins`,
        goal: `p99 ≤ ${goal} ms, ≥ 500/s, 0 errors`,
        value: run.value,
        pass: run.p99 <= goal && run.rps >= 500 && run.errors === 0,
        raw: `${run.byRound}; ${run.cost}` + (ofRaw ? `; ${ofRaw}` : ""),
      });
    }
  }
  for (const { what, goal, byConnections } of raws.values()) {
    for (const [connections, raw] of byConnections) {
      figures.push({
        figure: `Reference: ${what} on raw node:http + mysql2, ${connections} clients`,
        goal,
        value: raw.value,
        pass: null,
        raw: `${raw.byRound}; ${raw.cost}; no GraphQL, ORM, host token or logging (\`bench/raw-mutation-server.ts\`)`,
      });
    }
  }
  // Once for all the mutation rows: it tells a slow disk phase from a slow Keyturn, round by round.
  const alone = mutations.commitBaseline;
  if (alone.length) {
    figures.push({
      figure: `Reference: MariaDB alone, ${results.method.poolSize} connections (the pool's size)`,
      goal: "none (the disk's pace)",
      value: `p99 ${ms(median(alone.map((r) => r.p99)))}, ${Math.round(median(alone.map((r) => r.rps)))} commits/s`,
      pass: null,
      raw: `by round: ${alone.map((r) => `${Math.round(r.rps)}/s p99 ${ms(r.p99)}`).join(", ")}; two INSERTs per transaction on raw mysql2 (\`bench/commit-baseline.ts\`)`,
    });
  }
  figures.push(
    {
      figure: "Duplicate Key IDs after the mutation runs",
      goal: "0",
      value: String(mutations.duplicateKeyIds),
      pass: mutations.duplicateKeyIds === 0,
      raw: `${mutations.credentials.toLocaleString("en")} credentials`,
    },
    {
      figure: "Server RSS, idle",
      goal: "≤ 150 MB",
      value: `${Math.round(memory.idleRssMb)} MB`,
      pass: memory.idleRssMb <= 150,
      raw: "after start-up and migrations",
    },
    {
      figure: "Server RSS, peak under verification load",
      goal: "≤ 300 MB",
      value: `${Math.round(memory.loadedRssMb)} MB`,
      pass: memory.loadedRssMb <= 300,
      raw: "VmHWM of the cached servers after every round",
    },
    {
      figure: "`npm start` to ready (built)",
      goal: "≤ 3 s",
      value: `${(median(startupMs) / 1000).toFixed(2)} s`,
      pass: median(startupMs) <= 3000,
      raw: startupMs.map((t) => `${Math.round(t)} ms`).join(", "),
    },
    {
      figure: `Widget: first render of ${widget.secrets} secrets after data arrives (Chromium)`,
      goal: "≤ 100 ms",
      value: ms(widget.medianMs),
      pass: widget.medianMs <= 100,
      raw: `median of ${widget.runs}; p90 ${ms(widget.p90Ms)}, max ${ms(widget.maxMs)}`,
    },
    {
      figure: "Widget bundle (gzip)",
      goal: "tracked (budget 25 kB)",
      value: `${((widget.bundle.jsGzipBytes + widget.bundle.cssGzipBytes) / 1024).toFixed(1)} kB`,
      pass: widget.bundle.jsGzipBytes + widget.bundle.cssGzipBytes <= 25 * 1024,
      raw: `JS ${(widget.bundle.jsGzipBytes / 1024).toFixed(1)} kB, CSS ${(widget.bundle.cssGzipBytes / 1024).toFixed(1)} kB gzip`,
    },
  );
  return figures;
}

/** Horizontal bars, one per ratio figure, with the goal as a tick. No dependencies: plain SVG. */
function chart(figures: Figure[]): string {
  const rows = figures.filter((f) => f.chart);
  const width = 760;
  const left = 330;
  const scale = (width - left - 60) / 1.2;
  const rowHeight = 28;
  const height = rows.length * rowHeight + 50;
  const bars = rows
    .map((f, i) => {
      const y = 30 + i * rowHeight;
      const { value, goal } = f.chart ?? { value: 0, goal: 0 };
      const colour = f.pass ? "#2f855a" : "#c53030";
      const label = f.figure.replace(/: throughput at c = 50$/, "");
      return [
        `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escapeXml(label)}</text>`,
        `<rect x="${left}" y="${y + 2}" width="${Math.max(1, Math.min(1.2, value) * scale).toFixed(1)}" height="16" fill="${colour}"/>`,
        `<line x1="${(left + goal * scale).toFixed(1)}" x2="${(left + goal * scale).toFixed(1)}" y1="${y}" y2="${y + 20}" stroke="#1a202c" stroke-width="2"/>`,
        `<text x="${(left + Math.min(1.2, value) * scale + 6).toFixed(1)}" y="${y + 14}">${value.toFixed(2)}</text>`,
      ].join("");
    })
    .join("\n");
  const axis = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => {
      const x = (left + t * scale).toFixed(1);
      return `<line x1="${x}" x2="${x}" y1="24" y2="${height - 20}" stroke="#e2e8f0"/><text x="${x}" y="${height - 6}" text-anchor="middle">${t}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12" fill="#1a202c">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="8" y="16" font-weight="600">Median ratio (× bare node:http; refusals × the positive path; scale 1 M ÷ 1 k); tick = goal</text>
${axis}
${bars}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function table(figures: Figure[]): string {
  const lines = ["| Figure | Goal | Measured | | Raw numbers |", "| --- | --- | --- | --- | --- |"];
  for (const f of figures) {
    lines.push(
      `| ${f.figure} | ${f.goal} | **${f.value}** | ${f.pass === null ? "—" : f.pass ? "✅" : "❌"} | ${f.raw} |`,
    );
  }
  return lines.join("\n");
}

/**
 * Generated files go through Prettier, so `npm run lint` stays green after a rerun. Loaded here,
 * not at the top: Prettier's loading needs ES module support that Jest's runtime lacks, and the
 * report's tests never write.
 */
async function writeFormatted(file: string, text: string): Promise<void> {
  const { format, resolveConfig } = await import("prettier");
  writeFileSync(file, await format(text, { ...(await resolveConfig(file)), filepath: file }));
}

/** Splits bench/summary.md: the profile's table goes where this line is. */
const PROFILE_MARKER = "<!-- the profile -->";

export async function writeReport(results: BenchResults): Promise<void> {
  const figures = [...scenarioFigures(results), ...otherFigures(results)];
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  await writeFormatted(join(ROOT, "bench/results/latest.json"), JSON.stringify(results));
  writeFileSync(join(ROOT, "docs/performance-chart.svg"), chart(figures));
  const summaryFile = join(ROOT, "bench/summary.md");
  const summary = existsSync(summaryFile) ? readFileSync(summaryFile, "utf8").trim() : "";
  // The summary's part before the marker follows the table, the rest follows the profile.
  const [standing, costs = ""] = summary.split(PROFILE_MARKER).map((part) => part.trim());
  const { machine, versions, method } = results;
  for (const { name } of results.profile.top) {
    if (profileNote(name) === "—") log(`the profile's ${name} has no note: add one to bench/lib/profile-notes.ts`);
  }
  const profileRows = results.profile.top
    .map((t) => `| ${(t.share * 100).toFixed(1)} % | \`${t.name}\` | ${profileNote(t.name)} |`)
    .join("\n");
  const markdown = `# Performance

<!-- Generated by \`npm run bench\` (bench/run.ts) from bench/results/latest.json; the prose comes from bench/summary.md. -->

Measured ${results.date.slice(0, 16).replace("T", " ")} UTC in ${Math.round(results.durationSeconds / 60)} min on ${machine.cores} × ${machine.cpu} (Linux ${machine.kernel}), load average ${machine.loadBefore} before and ${machine.loadAfter} after.
Throughput figures are ratios to a baseline measured in the same seconds, every figure the median of its rounds: [How the table was measured](#how-the-table-was-measured) below says how.

${passSummary(figures)}

![Ratios against their goals](performance-chart.svg)

${table(figures)}

Versions: ${Object.entries(versions)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}.

${standing}

## How the table was measured

${methodBullets(method, results.scenarios)}

## Where the cached path spends its time

A CPU profile (\`node --cpu-prof\`) of the server serving the cached Basic-auth route at 50 connections for 5 s (start-up, warm-up and shutdown left out): ${results.profile.samples.toLocaleString("en")} samples, ${(results.profile.busyShare * 100).toFixed(0)} % of them busy. Self time by function, as a share of the busy samples, with what each is and what was done about it (the cost table below has the measurements):

| Self time | Function | What it is, and what was done |
| --- | --- | --- |
${profileRows}

${costs}
`;
  await writeFormatted(join(ROOT, "docs/performance.md"), markdown);
}

/** How the table was measured, as a list: what each kind of figure is a ratio to, and how it was sampled. */
function methodBullets(method: BenchResults["method"], scenarios: ScenarioResult[]): string {
  const bare = "a bare `node:http` server answering 200";
  const slice = method.seconds / method.slices;
  const grace = method.rotationGraceSeconds / 3600;
  return [
    "**Cores.** Every server under test ran on core 0 (`taskset -c 0`), wrk on core 1; MariaDB unpinned.",
    `**Verification throughput and latency.** ${method.verificationFirstWarmUpSeconds ? `Before the first round every verification server, and the bare one, is warmed for ${method.verificationFirstWarmUpSeconds} s at 50 connections (a server that has served nothing yet still sped up through its first round, and a target must not meet a warmer baseline). ` : ""}In each of ${method.rounds} rounds, after a 1 s warm-up, a server's throughput at 50 connections is measured in ${method.slices} slices of ${slice} s, each between two ${slice} s slices of ${bare} (bare, server, bare, server, …, bare: this VM changes speed within seconds, and a slice's neighbours are the nearest measure of its speed), and its latency at 1 connection for ${method.latencySeconds} s between two ${method.bareLatencySeconds ?? 1} s runs of the bare server. A round's ratio is the median of its slices' ratios to the mean of their bare neighbours (a slice during a change of speed is outvoted by the other two); the figure is the median over the rounds; the raw column lists every round (the server's mean req/s vs its bare neighbours', and the round's ratio).`,
    "**Refusals** are measured the same way against the positive path instead of bare: their slices alternate with the cached Basic-auth route's on the same server (positive, refusal, positive, …), since their goal is its speed, and the figure is their throughput as a multiple of it.",
    "**Scale figures** are measured the same way against the 1 k server of their kind: the 1 M server's slices alternate with the 1 k server's (cached or uncached) answering the same route, and the figure is its throughput as a multiple of the 1 k server's.",
    unsteadySummary(scenarios),
    `**Mutations** run in the same number of rounds (${method.mutationSeconds} s per operation and concurrency, after a warm-up at 10 connections of ${method.mutationFirstWarmUpSeconds} s per operation in the first round, while V8 still optimises the server's code, and of 1 s in the others), each round after MariaDB alone for ${method.baselineSeconds} s at the server's pool size, ${method.poolSize} connections (\`bench/commit-baseline.ts\`, the last reference row); their figures are the median p99 and rate over the rounds, with the errors of all rounds. Each admin creates in a project of its own in each round and rotates two secrets of it, one always without a grace period and one always with a ${grace} h one (from its second rotation on, each such rotation ends the credential still in its grace period and starts the current one's: two live credentials change instead of one).`,
    "**CPU per mutation** in their raw column is the CPU time the server and MariaDB used during each run (`/proc/<pid>/stat`, all threads) over its mutations, the median of the rounds; after it come the full garbage collections Keyturn made in each round's run (its `/metrics`; every request in flight waits through one's pause, so the column tells which rounds' tails may hold one).",
    "**Reference rows.** Each round also runs, from a bare `node:http` server with a mysql2 pool of the same size (`bench/raw-mutation-server.ts`, pinned like Keyturn), the statements of a create on Keyturn's tables, the shape the mutation goals were set from, and a rotation without a grace period as Keyturn's own procedure and a `COMMIT`, the floor under Keyturn's rotation: the first four reference rows, and Keyturn's rate of each as a multiple of that round's.",
  ]
    .filter((bullet) => bullet !== "")
    .map((bullet) => `- ${bullet}`)
    .join("\n");
}

/**
 * How many runs met a machine that changed speed under them: their two bare runs differ by more
 * than STEADY_SPREAD, and the mean of the two says little about the run between them. Taking such
 * runs again was tried (2026-12-03, third session): in a phase that unsteady two retries per run
 * doubled the bench's time and steadied 3 of 19.
 */
function unsteadySummary(scenarios: ScenarioResult[]): string {
  const rounds = scenarios.flatMap((s) => s.rounds).filter((r) => r.baselineSpread !== undefined);
  const marked = rounds.filter(unsteady).length;
  return rounds.length === 0
    ? ""
    : `**Unsteady runs.** In this run ${marked} of ${rounds.length} runs had baseline runs on either side (of the run, or of one of its slices) more than ${Math.round(STEADY_SPREAD * 100)} % apart (throughput or p50): the machine changed speed during them, and they are marked ⚠ in the raw column.`;
}

function passSummary(figures: Figure[]): string {
  const goals = figures.filter((f) => f.pass !== null);
  const failed = goals.filter((f) => !f.pass);
  return failed.length === 0
    ? `All ${goals.length} figures meet their goals.`
    : `${goals.length - failed.length} of ${goals.length} figures meet their goals; not met: ${failed.map((f) => f.figure).join("; ")}.`;
}
