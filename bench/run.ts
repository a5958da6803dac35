// `npm run bench`: every performance figure of docs/performance.md, measured on this machine as a
// ratio to a bare node:http server in the same run (the method heads docs/performance.md: bench/lib/report.ts).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import type { CommitBaselineResult } from "./commit-baseline";
import { adminToken, createSecrets, type Credential, CREATE_SECRET, ROTATE_SECRET } from "./lib/graphql";
import { serverMetrics, serverMetricsBetween } from "./lib/server-metrics";
import { interleavedMeasurement, SLICE_SECONDS, SLICES } from "./lib/interleave";
import { log } from "./lib/log";
import { roundRobinScript, type PreparedRequest } from "./lib/lua";
import {
  addFillerCredentials,
  bufferPoolBytes,
  databaseUrl,
  dropDatabase,
  flushDirtyPages,
  GlobalSettings,
  globalVariable,
  localServerPid,
  queryOne,
  recreateDatabase,
  selectCount,
} from "./lib/mysql";
import { freePort } from "./lib/ports";
import {
  coreTimes,
  coreTimesSince,
  cpuMicros,
  ROOT,
  SERVER_CORE,
  startBare,
  startKeyturn,
  startRawMutations,
  type BenchProcess,
} from "./lib/processes";
import {
  coresBusy,
  GRACE_ROTATION,
  poolWaitsByRound,
  writeReport,
  type Baseline,
  type BenchResults,
  type Measurement,
  type MutationCost,
  type ScenarioResult,
} from "./lib/report";
import { steady } from "./lib/steady";
import { badChecksum, basicRequests, unknownKeyIds, verifyRequests, wrongSecrets } from "./lib/scenarios";
import { LOAD_CORE, wrk, type LoadResult } from "./lib/wrk";
import { RAW_CREDENTIAL_FORMAT, type RawIssued } from "./raw-mutation-server";
import { measureWidgetRender } from "./widget-render";

const run = promisify(execFile);

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_SECONDS = 2;
/** The baseline's single-client runs on either side of a target's. */
const BASELINE_LATENCY_SECONDS = 1;
const MUTATION_SECONDS = 5;
/**
 * Each verification server's warm-up before the first round. With 1 s, the uncached 1 M server's
 * first round ran at 0.68–0.72× the 1 k one in four full runs (0.81–0.92× in the others): the 1 k
 * server, its baseline, had just been measured for ≈ 13 s against bare, and it too had sped up
 * slice by slice through that (bench/notes.md, 2026-12-05, eighth session).
 */
const VERIFICATION_FIRST_WARM_UP_SECONDS = 10;
/**
 * A mutation server's first warm-up per operation. V8 optimises the GraphQL, ORM and driver code
 * of a change over its first few thousand requests: after a 1 s warm-up the next 5 s still cost
 * 1.5–1.7× the CPU per create of the 5 s after them (bench/notes.md, 2026-12-03, seventh session).
 */
const MUTATION_FIRST_WARM_UP_SECONDS = 10;
const BASELINE_SECONDS = 3;
/** The mutation server's DB_POOL_SIZE (its default), and so the commit baseline's connections. */
const MUTATION_POOL_SIZE = 10;
/** The grace period of the rotations that have one: the widget's shortest but "immediately". */
const ROTATION_GRACE_SECONDS = 3_600;
const FILLER = Number(process.env.BENCH_CREDENTIALS ?? 1_000_000);
/**
 * The InnoDB buffer pool the run needs at least (raised for the run, then put back): the 1 M
 * database's lookups touch pages all over its tables, which MariaDB's default 128 MB cannot hold
 * (lib/mysql.ts, addFillerCredentials).
 */
const BUFFER_POOL_BYTES = 2 ** 30;
const SAMPLE_SMALL = 1_000;
const SAMPLE_LARGE = 5_000;

interface Target {
  id: string;
  title: string;
  server: BenchProcess;
  script: string;
  /** Whether every answer must be 2xx (positive paths) or none (refusals). */
  expect: "ok" | "refused";
  /**
   * What its slices interleave with. A refusal's goal is the positive path's speed, not bare's, and
   * a 1 M server's the 1 k server's: measured next to it, rather than as two ratios to bare taken
   * apart, it is not at the mercy of the bare slices around each (bench/notes.md, 2026-12-04,
   * sixth session, and 2026-12-05, fourth session).
   */
  baseline: Baseline;
}

/** A server and the requests that measure it. */
interface Load {
  url: string;
  script: string;
}

/**
 * One round's measurement of a target against its baseline, interleaved slice by slice
 * (lib/interleave.ts): a warm-up of the target, then baseline and target throughput slices in turn
 * (B T B T B T B), then single-client latency, the baseline's before and after the target's.
 */
async function measureAgainst(baseline: Load, target: Target): Promise<Measurement> {
  const load = ({ url, script }: Load, connections: number, seconds: number) =>
    wrk({ url, connections, seconds, script });
  const measured = { url: target.server.url, script: target.script };
  await load(measured, 50, 1);
  const baselineRuns = [await load(baseline, 50, SLICE_SECONDS)];
  const slices: LoadResult[] = [];
  for (let i = 0; i < SLICES; i++) {
    slices.push(await load(measured, 50, SLICE_SECONDS));
    baselineRuns.push(await load(baseline, 50, SLICE_SECONDS));
  }
  const c1Before = await load(baseline, 1, BASELINE_LATENCY_SECONDS);
  const c1 = await load(measured, 1, LATENCY_SECONDS);
  const c1After = await load(baseline, 1, BASELINE_LATENCY_SECONDS);
  for (const run of [...slices, c1]) checkAnswers(target, run);
  return interleavedMeasurement({ baseline: baselineRuns, target: slices, baselineC1: [c1Before, c1After], c1 });
}

function checkAnswers(target: Target, result: LoadResult): void {
  const bad = target.expect === "ok" ? result.non2xx : result.requests - result.non2xx;
  if (bad > 0 || result.socketErrors > 0) {
    throw new Error(
      `${target.id}: ${bad} answers were not ${target.expect}, ${result.socketErrors} socket errors\n${target.server.logs}`,
    );
  }
}

/** wrk comes from Debian; install it on first use where we may (CI machines run as root). */
async function ensureWrk(): Promise<void> {
  try {
    await run("which", ["wrk"]);
  } catch {
    log("wrk is missing: apt-get install -y wrk");
    try {
      await run("apt-get", ["install", "-y", "-q", "wrk"]);
    } catch {
      throw new Error("wrk is not installed and could not be installed: run `apt-get install -y wrk` (Debian).");
    }
  }
}

async function main(): Promise<void> {
  await ensureWrk();
  const started = new Date();
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    kernel: release(),
    loadBefore: loadavg()
      .map((n) => n.toFixed(2))
      .join(" "),
    loadAfter: "",
  };
  log(
    `${machine.cores} cores (${machine.cpu}), load ${machine.loadBefore}; ${ROUNDS} rounds, throughput in ${SLICES} slices of ${SLICE_SECONDS} s`,
  );

  const databases = ["keyturn_bench_1k", "keyturn_bench_1m", "keyturn_bench_mutations"] as const;
  const processes: BenchProcess[] = [];
  const keep = <T extends BenchProcess>(p: T) => (processes.push(p), p);
  // Server-wide settings changed for the run, put back in the `finally` or on Ctrl-C / SIGTERM.
  const settings = new GlobalSettings();
  const putBackAndExit = (signal: NodeJS.Signals) => {
    log(`${signal}: putting MariaDB's settings back`);
    void settings.restore().finally(() => process.exit(130));
  };
  process.once("SIGINT", putBackAndExit).once("SIGTERM", putBackAndExit);
  try {
    if (!(await settings.raise("innodb_buffer_pool_size", BUFFER_POOL_BYTES))) {
      log("MariaDB refused a larger buffer pool (SUPER needed): the 1 M lookups may read from disk");
    }
    log(`MariaDB's buffer pool: ${mib(await bufferPoolBytes())}`);
    for (const name of databases) await recreateDatabase(name);

    // ---- Data: real secrets through GraphQL, and filler rows for the 1 M table.
    log("starting Keyturn on the 1 k database (migrations run at start)");
    const cached1k = keep(await startKeyturn("cached, 1 k", databaseUrl("keyturn_bench_1k")));
    await sleep(1_000);
    const idleRssMb = cached1k.memory().rssMb;
    const projects = Array.from({ length: 10 }, (_, i) => `bench-project-${i}`);
    const small = await createSecrets(cached1k.url, projects, SAMPLE_SMALL);
    log(`created ${small.length} secrets through GraphQL`);

    const cached1m = keep(await startKeyturn("cached, 1 M", databaseUrl("keyturn_bench_1m")));
    const large = await createSecrets(cached1m.url, projects, SAMPLE_LARGE);
    log(
      `created ${large.length} secrets through GraphQL on the large database; adding ${FILLER - SAMPLE_LARGE} filler rows`,
    );
    await addFillerCredentials("keyturn_bench_1m", FILLER - SAMPLE_LARGE, (done) =>
      log(`  ${done.toLocaleString("en")} filler credentials`),
    );
    const stored = await queryOne<{ n: number | string }>("SELECT COUNT(*) AS n FROM credential", "keyturn_bench_1m");
    log(`large database holds ${Number(stored.n).toLocaleString("en")} credentials`);
    const flushStarted = Date.now();
    const { dirty, left, hastened } = await flushDirtyPages(settings, {
      progress: (pages) => log(`  ${pages.toLocaleString("en")} pages still dirty`),
    });
    log(
      `MariaDB wrote back the ${dirty.toLocaleString("en")} pages the filler left dirty in ` +
        `${((Date.now() - flushStarted) / 1000).toFixed(1)} s` +
        (hastened ? "" : " (MariaDB refused to hasten it: SUPER needed)") +
        (left > 100 ? `; ${left.toLocaleString("en")} were still dirty when the bench stopped waiting` : ""),
    );

    // Cold cache: room for one entry, so every lookup of a rotating set of Key IDs reaches MariaDB.
    const cold = { VERIFY_CACHE_MAX_ENTRIES: "1" };
    const uncached1k = keep(await startKeyturn("uncached, 1 k", databaseUrl("keyturn_bench_1k"), cold));
    const uncached1m = keep(await startKeyturn("uncached, 1 M", databaseUrl("keyturn_bench_1m"), cold));
    const bare = keep(await startBare());

    // The cached Basic-auth route: a target itself, and the baseline of the refusals and of the
    // cached 1 M server. The uncached one: a target, and the baseline of the uncached 1 M server.
    const positive: Load = { url: cached1k.url, script: roundRobinScript(basicRequests(small)) };
    const uncached: Load = { url: uncached1k.url, script: roundRobinScript(basicRequests(small)) };
    const targets: Target[] = [
      {
        id: "basic-cached",
        title: "Basic-auth route, cached (1 k)",
        server: cached1k,
        script: positive.script,
        expect: "ok",
        baseline: "bare",
      },
      {
        id: "basic-cached-1m",
        title: "Basic-auth route, cached (1 M rows)",
        server: cached1m,
        script: roundRobinScript(basicRequests(large)),
        expect: "ok",
        baseline: "positive path",
      },
      {
        id: "verify-cached",
        title: "POST /v1/verify, cached (1 k)",
        server: cached1k,
        script: roundRobinScript(verifyRequests(small)),
        expect: "ok",
        baseline: "bare",
      },
      {
        id: "basic-uncached",
        title: "Basic-auth route, uncached (1 k rows)",
        server: uncached1k,
        script: uncached.script,
        expect: "ok",
        baseline: "bare",
      },
      {
        id: "basic-uncached-1m",
        title: "Basic-auth route, uncached (1 M rows)",
        server: uncached1m,
        script: roundRobinScript(basicRequests(large)),
        expect: "ok",
        baseline: "uncached 1 k",
      },
      {
        id: "bad-checksum",
        title: "Refusal: bad checksum",
        server: cached1k,
        script: roundRobinScript(basicRequests(badChecksum(small))),
        expect: "refused",
        baseline: "positive path",
      },
      {
        id: "unknown-key",
        title: "Refusal: unknown Key ID",
        server: cached1k,
        script: roundRobinScript(basicRequests(unknownKeyIds(SAMPLE_SMALL))),
        expect: "refused",
        baseline: "positive path",
      },
      {
        id: "wrong-secret",
        title: "Refusal: wrong secret",
        server: cached1k,
        script: roundRobinScript(basicRequests(wrongSecrets(small))),
        expect: "refused",
        baseline: "positive path",
      },
    ];

    // ---- Interleaved rounds: each target's slices between its baseline's (measureAgainst).
    const baselines: Record<Baseline, Load> = {
      bare: { url: bare.url, script: roundRobinScript(basicRequests(small.slice(0, 10))) },
      "positive path": positive,
      "uncached 1 k": uncached,
    };
    const scenarios = new Map<string, ScenarioResult>(
      targets.map((t) => [t.id, { id: t.id, title: t.title, baseline: t.baseline, rounds: [] }]),
    );
    const servers = new Map<BenchProcess, string>([[bare, baselines.bare.script]]);
    for (const target of targets) if (!servers.has(target.server)) servers.set(target.server, target.script);
    for (const [server, script] of servers) {
      log(`warming up ${server.name} for ${VERIFICATION_FIRST_WARM_UP_SECONDS} s`);
      await wrk({ url: server.url, connections: 50, seconds: VERIFICATION_FIRST_WARM_UP_SECONDS, script });
    }
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: warming up the bare server`);
      await wrk({ url: bare.url, connections: 50, seconds: 1, script: baselines.bare.script });
      for (const target of targets) {
        log(`round ${round}/${ROUNDS}: ${target.title}`);
        const measurement = await measureAgainst(baselines[target.baseline], target);
        scenarios.get(target.id)?.rounds.push(measurement);
        const slices = measurement.slices ?? [];
        log(
          `  ${Math.round(measurement.c50.rps)} req/s = ${measurement.ratio.toFixed(2)}× ${target.baseline} ` +
            `(slices ${slices.map((slice) => `${Math.round(slice.rps)}/${Math.round(slice.baselineRps)}`).join(", ")}); ` +
            `c1 p50 ${measurement.c1.p50.toFixed(3)} ms = ${measurement.p50Ratio.toFixed(2)}× ${target.baseline} ` +
            `(${measurement.baselineP50.toFixed(3)})` +
            (steady(measurement.baselineSpread ?? 0)
              ? ""
              : `; unsteady: the ${target.baseline} slices around it disagree`),
        );
      }
    }
    const loadedRssMb = Math.max(cached1k.memory().peakRssMb, cached1m.memory().peakRssMb);

    // ---- Database queries on the refusal paths, counted by MariaDB.
    log("counting database queries on the refusal paths");
    const queries = await countQueries(cached1k, small);

    // ---- Cache memory per entry, in its own process.
    log("measuring cache memory per entry (100,000 entries)");
    const { stdout: cacheJson } = await run(process.execPath, [
      "--expose-gc",
      join(ROOT, "bench/dist/cache-memory.js"),
      "100000",
    ]);
    const cacheMemory = JSON.parse(cacheJson) as { entries: number; bytesPerEntry: number };

    // ---- Mutations through GraphQL on MariaDB.
    // The verification servers are done. Idle, each still wakes ≈ 100 times a second on the server
    // core (prom-client's event-loop monitor); the mutation servers get the core to themselves.
    await Promise.all([cached1k, cached1m, uncached1k, uncached1m, bare].map((server) => server.stop()));
    log("mutations: createSecret and rotateSecret through GraphQL");
    const mutationServer = keep(
      await startKeyturn("mutations", databaseUrl("keyturn_bench_mutations"), {
        DB_POOL_SIZE: String(MUTATION_POOL_SIZE),
      }),
    );
    // Started once Keyturn has migrated the database: it writes Keyturn's tables.
    const rawServer = keep(await startRawMutations(databaseUrl("keyturn_bench_mutations"), MUTATION_POOL_SIZE));
    const mutations = await benchMutations(mutationServer, rawServer);

    // ---- CPU profile of the cached path under load.
    log("profiling the cached Basic-auth path under load");
    const profile = await profileCachedPath(small);

    // ---- Start-up of `npm start`, once built.
    log("timing npm start to ready (3 times)");
    const startupMs = await timeNpmStart();

    // ---- Widget render in Chromium.
    log("widget: first render of 50 secrets in headless Chromium");
    const widget = await measureWidgetRender({ log: (line) => log(`  ${line}`) });

    machine.loadAfter = loadavg()
      .map((n) => n.toFixed(2))
      .join(" ");
    const results: BenchResults = {
      date: started.toISOString(),
      durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
      machine,
      versions: await versions(),
      method: {
        rounds: ROUNDS,
        seconds: SLICES * SLICE_SECONDS,
        slices: SLICES,
        latencySeconds: LATENCY_SECONDS,
        bareLatencySeconds: BASELINE_LATENCY_SECONDS,
        storedLarge: Number(stored.n),
        mutationSeconds: MUTATION_SECONDS,
        mutationFirstWarmUpSeconds: MUTATION_FIRST_WARM_UP_SECONDS,
        verificationFirstWarmUpSeconds: VERIFICATION_FIRST_WARM_UP_SECONDS,
        baselineSeconds: BASELINE_SECONDS,
        poolSize: MUTATION_POOL_SIZE,
        rotationGraceSeconds: ROTATION_GRACE_SECONDS,
      },
      scenarios: [...scenarios.values()],
      queries,
      cacheMemory,
      mutations,
      memory: { idleRssMb, loadedRssMb },
      startupMs,
      widget,
      profile,
    };
    await writeReport(results);
    log("wrote docs/performance.md, docs/performance-chart.svg and bench/results/latest.json");
  } finally {
    await cleanUp("stopping the servers and dropping the databases", async () => {
      await Promise.all(processes.map((p) => p.stop()));
      for (const name of databases) await dropDatabase(name);
    });
    await cleanUp("putting MariaDB's settings back", async () => {
      await settings.restore();
      log(`MariaDB's settings are back (buffer pool ${mib(await bufferPoolBytes())})`);
    });
  }
}

/**
 * One step of the run's clean-up, which must not hide the error the run stopped on (a throw in a
 * `finally` replaces it): its own failure is logged and fails the run's exit code instead.
 */
async function cleanUp(what: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    process.exitCode = 1;
    log(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** MariaDB's Com_select across a run of each refusal scenario (the other servers are idle). */
async function countQueries(server: BenchProcess, small: Credential[]) {
  const count = async (requests: PreparedRequest[]) => {
    const before = await selectCount();
    const result = await wrk({ url: server.url, connections: 50, seconds: 2, script: roundRobinScript(requests) });
    return { requests: result.requests, selects: (await selectCount()) - before };
  };
  const badChecksumRun = await count(basicRequests(badChecksum(small)));
  // A fresh set of unknown Key IDs: the first pass looks each up once, then the negative cache answers.
  const unknown = basicRequests(unknownKeyIds(SAMPLE_SMALL));
  const unknownFirst = await count(unknown);
  const unknownWarm = await count(unknown);
  return { badChecksum: badChecksumRun, unknownFirst, unknownWarm, distinctUnknown: SAMPLE_SMALL };
}

async function benchMutations(server: BenchProcess, rawServer: BenchProcess) {
  const projects = Array.from({ length: 200 }, (_, i) => `mutation-project-${i}`);
  const tokens = await Promise.all(projects.map((p, i) => adminToken([p], `admin-${i}@example.com`)));
  const graphqlRequest = (query: string, variables: unknown, token: string): PreparedRequest => ({
    method: "POST",
    path: "/graphql",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  // Creates go to projects of their round: a project holds at most 1,000 active secrets (the most
  // MAX_ACTIVE_SECRETS_PER_PROJECT allows), and on a fast machine a run of creates in the same 200
  // projects reaches that in the third round.
  const roundProjects = (round: number) => projects.map((projectId) => `${projectId}-round-${round}`);
  const createScript = async (round: number) => {
    const inRound = roundProjects(round);
    const roundTokens = await Promise.all(inRound.map((p, i) => adminToken([p], `admin-${i}@example.com`)));
    return roundRobinScript(
      inRound.map((projectId, i) => graphqlRequest(CREATE_SECRET, { input: { projectId } }, roundTokens[i] ?? "")),
      { countErrorsIn: '"errors"' },
    );
  };
  // Each admin rotates two secrets of its project: one always without a grace period (the widget's
  // default) and one always with one, whose rotations from the second on end the credential still in
  // its grace period and start the current one's: two live credentials change instead of one.
  const rotationScript = async (gracePeriodSeconds: number) => {
    const secrets = await Promise.all(
      projects.map(async (projectId, i) => (await createSecrets(server.url, [projectId], 1, 1))[0]?.secretId ?? `${i}`),
    );
    return roundRobinScript(
      secrets.map((id, i) => graphqlRequest(ROTATE_SECRET, { input: { id, gracePeriodSeconds } }, tokens[i] ?? "")),
      { countErrorsIn: '"errors"' },
    );
  };
  const rotations = await rotationScript(0);
  const graceRotations = await rotationScript(ROTATION_GRACE_SECONDS);
  // The same creates and rotations (without a grace period) with nothing of Keyturn around them
  // (raw-mutation-server.ts), in projects of their own: each raw project's first secret is rotated.
  const rawRequest = (path: string, body: unknown): PreparedRequest => ({
    method: "POST",
    path,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const rawProjects = projects.map((projectId) => `raw-${projectId}`);
  const rawCreateScript = (round: number) =>
    roundRobinScript(
      roundProjects(round).map((projectId) => rawRequest("/", { projectId: `raw-${projectId}` })),
      { countErrorsIn: '"error"' },
    );
  const rawSecrets = await Promise.all(
    rawProjects.map(async (projectId) => {
      const res = await fetch(rawServer.url, { method: "POST", body: JSON.stringify({ projectId }) });
      if (!res.ok) throw new Error(`raw create in ${projectId}: ${res.status} ${await res.text()}`);
      return { projectId, secretId: ((await res.json()) as RawIssued).secretId };
    }),
  );
  const rawRotations = roundRobinScript(
    rawSecrets.map((secret) => rawRequest("/rotate", secret)),
    { countErrorsIn: '"error"' },
  );
  // In rounds, like the verification figures: a single 5 s run's p99 is one draw of this VM's
  // tails. Each round starts with MariaDB alone at Keyturn's pool size, the most transactions it
  // has open at once (bench/commit-baseline.ts): the report can tell a slow disk phase from a slow
  // Keyturn.
  const commitBaseline: CommitBaselineResult[] = [];
  const results: Record<string, LoadResult[]> = {};
  // The CPU both processes spend per mutation: with a 2-core machine shared by the server,
  // MariaDB and wrk, it bounds the rate any admin count can reach, whatever the disk does. And
  // Keyturn's full collections: every request in flight waits through one's pause, so the report
  // can tell which rounds' tails may hold one (bench/notes.md, 2026-12-03, seventh session).
  const mariadb = await localServerPid();
  const costs: Record<string, MutationCost[]> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    log(`mutations round ${round}/${ROUNDS}`);
    const alone = await commitBaselineOnServerCore(MUTATION_POOL_SIZE);
    commitBaseline.push(alone);
    log(
      `  MariaDB alone at c${MUTATION_POOL_SIZE}: ${Math.round(alone.rps)} commits/s, p99 ${alone.p99.toFixed(1)} ms`,
    );
    for (const [name, script, target] of [
      ["rawCreate", rawCreateScript(round), rawServer],
      ["createSecret", await createScript(round), server],
      ["rawRotate", rawRotations, rawServer],
      ["rotateSecret", rotations, server],
      [GRACE_ROTATION, graceRotations, server],
    ] as const) {
      const warmUp = round === 1 ? MUTATION_FIRST_WARM_UP_SECONDS : 1;
      await wrk({ url: target.url, connections: 10, seconds: warmUp, script });
      const hasMetrics = target !== rawServer;
      for (const connections of [10, 50]) {
        // Scraped before the CPU times are read, so that the scrape's own CPU is not counted.
        const metricsBefore = hasMetrics ? await serverMetrics(target.url) : null;
        const before = {
          server: cpuMicros(target.pid),
          mariadb: mariadb === undefined ? NaN : cpuMicros(mariadb),
          serverCore: coreTimes(SERVER_CORE),
          loadCore: coreTimes(LOAD_CORE),
        };
        // The cores' window also holds wrk's start and exit, a few ms around its 5 s.
        const result = await wrk({ url: target.url, connections, seconds: MUTATION_SECONDS, script });
        const serverMicros = cpuMicros(target.pid) - before.server;
        const mariadbMicros = mariadb === undefined ? null : cpuMicros(mariadb) - before.mariadb;
        const serverCore = coreTimesSince(before.serverCore, SERVER_CORE);
        const loadCore = coreTimesSince(before.loadCore, LOAD_CORE);
        const ofServerCore = (micros: number) => micros / serverCore.totalMicros;
        const cost: MutationCost = {
          serverMicros: serverMicros / result.requests,
          mariadbMicros: mariadbMicros === null ? null : mariadbMicros / result.requests,
          cores: {
            serverCoreBusy: ofServerCore(serverCore.busyMicros),
            serverProcess: ofServerCore(serverMicros),
            serverCoreInterrupts: ofServerCore(serverCore.interruptsMicros),
            serverCoreSteal: ofServerCore(serverCore.stealMicros),
            loadCoreBusy: loadCore.busyMicros / loadCore.totalMicros,
          },
          ...(metricsBefore
            ? serverMetricsBetween(metricsBefore, await serverMetrics(target.url))
            : { fullCollections: null, poolWaits: null }),
        };
        (results[`${name} c${connections}`] ??= []).push(result);
        (costs[`${name} c${connections}`] ??= []).push(cost);
        log(
          `  ${name} at c${connections}: ${Math.round(result.rps)}/s, p99 ${result.p99.toFixed(1)} ms, ` +
            `${result.counters.errors ?? "?"} errors; CPU per mutation: server ${Math.round(cost.serverMicros)} µs, ` +
            `MariaDB ${cost.mariadbMicros === null ? "n/a" : `${Math.round(cost.mariadbMicros)} µs`}` +
            (cost.fullCollections ? `; full collections: ${cost.fullCollections.count}` : "") +
            (cost.poolWaits ? `; mean wait for a pooled connection ${poolWaitsByRound([cost.poolWaits])}` : "") +
            `; ${coresBusy([cost.cores])}`,
        );
      }
    }
  }
  // COUNT(*) comes back from mysql2 as a string (BIGINT). Keyturn's credentials only, not the raw server's.
  const keys = await queryOne<{ total: number | string; distinctKeys: number | string }>(
    `SELECT COUNT(*) AS total, COUNT(DISTINCT key_id) AS distinctKeys FROM credential WHERE key_id NOT LIKE '${RAW_CREDENTIAL_FORMAT.prefixes.keyId}\\_%'`,
    "keyturn_bench_mutations",
  );
  return {
    results,
    costs,
    commitBaseline,
    credentials: Number(keys.total),
    duplicateKeyIds: Number(keys.total) - Number(keys.distinctKeys),
  };
}

/** bench/commit-baseline.ts in its own process, on the core Keyturn runs on. */
async function commitBaselineOnServerCore(connections: number): Promise<CommitBaselineResult> {
  const { stdout } = await run("taskset", [
    "-c",
    SERVER_CORE,
    process.execPath,
    join(ROOT, "bench/dist/commit-baseline.js"),
    "keyturn_bench_mutations",
    String(connections),
    String(BASELINE_SECONDS),
  ]);
  return JSON.parse(stdout) as CommitBaselineResult;
}

async function profileCachedPath(small: Credential[]) {
  const dir = mkdtempSync(join(tmpdir(), "keyturn-profile-"));
  try {
    const server = await startKeyturn("profiled", databaseUrl("keyturn_bench_1k"), {}, [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
    ]);
    const script = roundRobinScript(basicRequests(small));
    // The profile's clock is CLOCK_MONOTONIC in µs, as process.hrtime is: only the measured run counts,
    // not start-up (module loading) or shutdown.
    const microseconds = () => Number(process.hrtime.bigint() / 1000n);
    let window: { from: number; to: number };
    try {
      await wrk({ url: server.url, connections: 50, seconds: 1, script });
      const from = microseconds();
      await wrk({ url: server.url, connections: 50, seconds: 5, script });
      window = { from, to: microseconds() };
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("no CPU profile was written");
    return summariseProfile(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile, window);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  endTime: number;
  /** The node each sample landed in, and the µs since the previous sample. */
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function over the samples taken in `window`, as a share of those the process was busy for. */
function summariseProfile(profile: CpuProfile, window: { from: number; to: number }) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const node = nodes.get(id);
    if (!node || at < window.from || at > window.to) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)" || functionName === "(program)") idle++;
    total++;
    const where = url ? `${url.replace(/^file:\/\//, "").replace(`${ROOT}/`, "")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
  });
  if (total === 0) throw new Error("no profile samples fell within the measured run");
  const busy = total - idle;
  const top = [...byFunction.entries()]
    .filter(([name]) => !name.startsWith("(idle)") && !name.startsWith("(program)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([name, hits]) => ({ name, share: hits / busy }));
  return { samples: total, busyShare: busy / total, top };
}

async function timeNpmStart(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), "keyturn-start-"));
    const port = await freePort();
    const started = performance.now();
    const child = spawn("npm", ["start", "--silent"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn", DATABASE_URL: "" },
      stdio: "ignore",
      detached: true,
    });
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error("npm start exited");
        try {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`);
          await res.arrayBuffer();
          if (res.ok) break;
        } catch {
          // not yet
        }
        await sleep(20);
      }
      times.push(performance.now() - started);
    } finally {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
      await new Promise((done) => child.once("exit", done));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return times;
}

async function versions(): Promise<Record<string, string>> {
  // The version the server runs: npm nests a package under server/ when the root holds another.
  const pkg = (name: string) => {
    for (const dir of [join(ROOT, "server/node_modules"), join(ROOT, "node_modules")]) {
      try {
        return (JSON.parse(readFileSync(join(dir, name, "package.json"), "utf8")) as { version: string }).version;
      } catch {
        // not installed here
      }
    }
    return "?";
  };
  // wrk --version exits 1 after printing its version.
  const { stdout: wrkVersion } = await run("wrk", ["--version"]).catch((e: unknown) => ({
    stdout: (e as { stdout?: string }).stdout ?? "",
  }));
  const mariadb = await queryOne<{ v: string }>("SELECT VERSION() AS v");
  const flush = await globalVariable("innodb_flush_log_at_trx_commit");
  // Read while the run's size holds (BUFFER_POOL_BYTES), before the pool is put back.
  const pool = await bufferPoolBytes();
  return {
    node: process.version,
    wrk: /wrk (\S+)/.exec(wrkVersion)?.[1] ?? "?",
    mariadb: mariadb.v,
    innodb_flush_log_at_trx_commit: String(flush),
    innodb_buffer_pool_size: mib(pool),
    "@apollo/server": pkg("@apollo/server"),
    express: pkg("express"),
    mysql2: pkg("mysql2"),
    typeorm: pkg("typeorm"),
    "lru-cache": pkg("lru-cache"),
  };
}

/** `--report`: rewrite docs/performance.md from the last results (after editing bench/summary.md). */
async function reportOnly(): Promise<void> {
  const results = JSON.parse(readFileSync(join(ROOT, "bench/results/latest.json"), "utf8")) as BenchResults;
  await writeReport(results);
  log("rewrote docs/performance.md and docs/performance-chart.svg from bench/results/latest.json");
}

(process.argv.includes("--report") ? reportOnly() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
