// Issue #5, point 3 (README "Many instances", the revocation bound): three server processes on one
// MariaDB database, each with its own verification cache. An old credential must be refused at
// once by the instance that served rotateSecret/revokeSecret, within 1 s by every other one while
// Redis carries the invalidations, and within VERIFY_CACHE_TTL_SECONDS (never longer) while Redis
// is down; once Redis returns, the 1 s bound holds again. An instance that may have missed a change
// (its subscription gone deaf) stops answering from old entries through a database outage, and a
// change that could not be announced is announced once Redis returns. Without REDIS_URL there is
// one instance.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  REVOKE_SECRET,
  ROTATE_SECRET,
  RedisServer,
  ReliabilitySuite,
  createSecret,
  waitFor,
  type Instance,
  type Revealed,
  type TestDatabase,
} from "./support/cluster";

/** The pub/sub channel of server/src/verification/invalidation.ts. */
const CHANNEL = "keyturn:credentials-changed";
const LOOKUPS = "keyturn_credential_cache_lookups_total";
const ENTRIES = "keyturn_credential_cache_entries";
const STALE = 'result="stale"';
/** The README's bound with Redis: every instance refuses within 1 s of the mutation returning. */
const BOUND_MS = 1_000;
const POLL_MS = 10;
const ROUNDS = 10;
/** The fallback bound while Redis is down; short, so the test can wait it out several times. */
const OUTAGE_TTL_SECONDS = 2;
/** Time for polling and one HTTP round trip on top of the TTL. */
const TTL_SLACK_MS = 300;

type Kind = "rotate" | "revoke";

interface Refusal {
  instance: string;
  /** From the mutation returning to the first 401 (Infinity: still accepted at the deadline). */
  ms: number;
  /** From sending the lookup that filled this instance's cache to the first 401. */
  sinceLookupMs: number;
  /** 200 answers (the cached old credential) before the first 401. */
  stale: number;
}

interface Round {
  kind: Kind;
  server: string;
  /** The serving instance's answer to the old credential, sent as soon as the mutation returned. */
  first: number;
  others: Refusal[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

function summary(rounds: Round[]): { ms: number[]; max: number; median: number; stale: number; atOnce: number } {
  const ms = rounds.flatMap((r) => r.others.map((o) => o.ms));
  return {
    ms,
    max: Math.max(...ms),
    median: median(ms),
    stale: rounds.reduce((n, r) => n + r.others.reduce((m, o) => m + o.stale, 0), 0),
    atOnce: rounds.filter((r) => r.first === 401).length,
  };
}

const round1 = (ms: number) => (Number.isFinite(ms) ? Math.round(ms) : "never");

/** Lines of an instance's log written since `offset` that report Redis unreachable for `role`. */
function reportsRedisGone(instance: Instance, offset: number, role: string): boolean {
  return instance.logs
    .slice(offset)
    .split("\n")
    .some((line) => line.includes("Redis is unreachable") && line.includes(`"role":"${role}"`));
}

describe("revocation: three instances, Redis pub/sub and the cache TTL", () => {
  const suite = new ReliabilitySuite();
  let database: TestDatabase;
  let admin: string;
  /** redis-servers this file restarts itself (the suite starts each one on a fresh port). */
  const restarted: RedisServer[] = [];

  afterAll(async () => {
    await Promise.all(restarted.map((redis) => redis.stop(5_000)));
  });

  beforeAll(async () => {
    database = await suite.database();
    admin = await suite.token({
      pubsub: "admin",
      outage: "admin",
      returned: "admin",
      deaf: "admin",
      unannounced: "admin",
      solo: "admin",
    });
  }, 60_000);

  /** Three instances on the database, started together (the first one migrates, the others wait for its lock). */
  function cluster(prefix: string, env: Record<string, string>): Promise<Instance[]> {
    const all = { MAX_ACTIVE_SECRETS_PER_PROJECT: "100", ...env };
    return Promise.all(["A", "B", "C"].map((name) => suite.instance(`${prefix}-${name}`, database.url(), all)));
  }

  /** Every instance subscribed and connected for commands (publishing), as Redis itself sees it. */
  async function connected(redis: RedisServer, instances: number): Promise<void> {
    await waitFor(
      `${instances} subscribers on ${CHANNEL}`,
      async () => (await redis.cli("PUBSUB", "NUMSUB", CHANNEL)).split("\n")[1] === String(instances),
      15_000,
      50,
    );
    await waitFor(
      `${instances * 2} client connections (a subscriber and a command connection per instance)`,
      async () => {
        const clients = (await redis.cli("CLIENT", "LIST")).split("\n").filter((l) => !l.includes("cmd=client"));
        return clients.length >= instances * 2;
      },
      15_000,
      50,
    );
  }

  /**
   * Looks each credential up on `instance` and verifies it again, until the second verifications
   * are all answered from its cache: a creation's own announcement drops its Key ID wherever it
   * arrives after the lookup. Resolves with when the lookups that filled the cache were sent.
   */
  async function cachedBy(instance: Instance, secrets: Revealed[]): Promise<number> {
    const verifyAll = async () => {
      for (const secret of secrets) expect(await instance.verify(secret.keyId, secret.secret)).toBe(200);
    };
    return waitFor(
      `${instance.name} to answer ${secrets.length} credentials from its cache`,
      async () => {
        const at = performance.now();
        await verifyAll();
        const hits = await instance.metric(LOOKUPS, 'result="hit"');
        await verifyAll();
        return (await instance.metric(LOOKUPS, 'result="hit"')) - hits === secrets.length ? at : false;
      },
      5_000,
      20,
    );
  }

  /** A redis-server again on the port of one that was killed. */
  async function restart(port: number): Promise<RedisServer> {
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    const redis = new RedisServer(child, port);
    restarted.push(redis);
    await waitFor("restarted redis-server PONG", async () => (await redis.cli("PING")) === "PONG", 10_000, 50);
    return redis;
  }

  /** Polls `instance` with the old credential until it answers 401; the time is taken when the 401 arrives. */
  async function untilRefused(
    instance: Instance,
    old: Revealed,
    since: number,
    lookedUpAt: number,
    withinMs: number,
  ): Promise<Refusal> {
    let stale = 0;
    for (;;) {
      const status = await instance.verify(old.keyId, old.secret);
      const at = performance.now();
      if (status === 401) return { instance: instance.name, ms: at - since, sinceLookupMs: at - lookedUpAt, stale };
      if (status !== 200) throw new Error(`${instance.name} answered HTTP ${status} for the old credential`);
      stale++;
      if (at - since > withinMs) return { instance: instance.name, ms: Infinity, sinceLookupMs: Infinity, stale };
      await sleep(POLL_MS);
    }
  }

  /**
   * One measurement: a new secret, cached by every instance (a miss, then a hit each), ended by
   * `kind` on `server`; then the serving instance is asked once and the others are polled until
   * they refuse the old credential (or `withinMs` has passed).
   */
  async function measure(
    instances: Instance[],
    server: Instance,
    kind: Kind,
    projectId: string,
    withinMs: number,
  ): Promise<Round> {
    const secret = await createSecret(server, admin, projectId);
    // Every instance answers this Key ID from its cache.
    const lookedUpAt = new Map<Instance, number>();
    for (const instance of instances) lookedUpAt.set(instance, await cachedBy(instance, [secret]));

    const answer =
      kind === "rotate"
        ? await server.graphql(ROTATE_SECRET, { input: { id: secret.id, gracePeriodSeconds: 0 } }, admin)
        : await server.graphql(REVOKE_SECRET, { input: { id: secret.id } }, admin);
    const returnedAt = performance.now();
    if (answer.body.errors) throw new Error(`${kind}Secret failed: ${JSON.stringify(answer.body.errors)}`);

    const first = server.verify(secret.keyId, secret.secret);
    const others = await Promise.all(
      instances
        .filter((i) => i !== server)
        .map((i) => untilRefused(i, secret, returnedAt, lookedUpAt.get(i) ?? NaN, withinMs)),
    );
    const round: Round = { kind, server: server.name, first: await first, others };

    // Refused for good everywhere; after a rotation the new credential works everywhere.
    expect(await Promise.all(instances.map((i) => i.verify(secret.keyId, secret.secret)))).toEqual(
      instances.map(() => 401),
    );
    if (kind === "rotate") {
      const next: Revealed = { id: secret.id, ...answer.body.data.rotateSecret.credentials };
      expect(await Promise.all(instances.map((i) => i.verify(next.keyId, next.secret)))).toEqual(
        instances.map(() => 200),
      );
    }
    return round;
  }

  it(`with Redis: the serving instance refuses an ended credential at once, the two others within ${BOUND_MS} ms (${ROUNDS} rounds, VERIFY_CACHE_TTL_SECONDS=10)`, async () => {
    const redis = await suite.redis();
    const instances = await cluster("redis", { REDIS_URL: redis.url, VERIFY_CACHE_TTL_SECONDS: "10" });
    await connected(redis, instances.length);

    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const server = instances[i % instances.length] as Instance;
      rounds.push(await measure(instances, server, i % 2 ? "revoke" : "rotate", "pubsub", 3_000));
    }
    const s = summary(rounds);
    console.log(
      `[revocation] Redis up, 3 instances, VERIFY_CACHE_TTL_SECONDS=10: ${ROUNDS} rounds (rotate and revoke ` +
        `alternating, served by A, B, C in turn): serving instance refused on its first answer ${s.atOnce}/${ROUNDS}; ` +
        `the other two refused after median ${s.median.toFixed(1)} ms, max ${s.max.toFixed(1)} ms ` +
        `(${s.ms.length} measurements, polled every ${POLL_MS} ms; ${s.stale} cached 200 answers before a refusal); ` +
        `per round: ${rounds.map((r) => `${r.kind}@${r.server}:${r.others.map((o) => round1(o.ms)).join("/")}`).join(" ")}`,
    );
    expect(rounds.map((r) => r.first)).toEqual(rounds.map(() => 401));
    expect(rounds.flatMap((r) => r.others.filter((o) => o.ms > BOUND_MS))).toEqual([]);
  });

  it(`Redis down: other instances refuse within VERIFY_CACHE_TTL_SECONDS=${OUTAGE_TTL_SECONDS} and never later; Redis back: caches emptied, the ${BOUND_MS} ms bound again`, async () => {
    const redis = await suite.redis();
    const instances = await cluster("outage", {
      REDIS_URL: redis.url,
      VERIFY_CACHE_TTL_SECONDS: String(OUTAGE_TTL_SECONDS),
      // The default, stated: stale answers during a database outage play no part in a Redis outage.
      VERIFY_CACHE_OUTAGE_SECONDS: "300",
    });
    await connected(redis, instances.length);

    // Redis dies; every instance notices (both its connections fail to reconnect).
    const offsets = instances.map((i) => i.logs.length);
    redis.kill();
    await redis.exited;
    await waitFor(
      "every instance to report Redis unreachable",
      async () =>
        Promise.resolve(
          instances.every(
            (i, n) =>
              reportsRedisGone(i, offsets[n] ?? 0, "subscriber") && reportsRedisGone(i, offsets[n] ?? 0, "commands"),
          ),
        ),
      10_000,
      50,
    );

    const ttlMs = OUTAGE_TTL_SECONDS * 1000;
    const down: Round[] = [];
    for (let i = 0; i < instances.length; i++) {
      const server = instances[i] as Instance;
      down.push(await measure(instances, server, i % 2 ? "revoke" : "rotate", "outage", ttlMs + 3_000));
    }
    const d = summary(down);
    const sinceLookup = down.flatMap((r) => r.others.map((o) => o.sinceLookupMs));
    console.log(
      `[revocation] Redis down, VERIFY_CACHE_TTL_SECONDS=${OUTAGE_TTL_SECONDS}: ${down.length} rounds: serving instance ` +
        `refused on its first answer ${d.atOnce}/${down.length}; the other two refused after median ` +
        `${d.median.toFixed(0)} ms, max ${d.max.toFixed(0)} ms from the mutation returning ` +
        `(${Math.round(Math.min(...sinceLookup))}–${Math.round(Math.max(...sinceLookup))} ms after their cache was filled; ` +
        `${d.stale} cached 200 answers before a refusal)`,
    );
    expect(down.map((r) => r.first)).toEqual(down.map(() => 401));
    // Never longer than the TTL...
    expect(down.flatMap((r) => r.others.filter((o) => o.ms > ttlMs + TTL_SLACK_MS))).toEqual([]);
    // ...and the TTL is what ended it: each cached entry answered until it was TTL old (the first
    // 401 came at least TTL after the lookup that filled the cache was sent), nothing earlier.
    expect(sinceLookup.filter((ms) => ms < ttlMs - 20)).toEqual([]);
    expect(down.flatMap((r) => r.others.filter((o) => o.stale === 0))).toEqual([]);
    for (const instance of instances) expect(await instance.metric(ENTRIES)).toBeGreaterThan(0);

    // Redis returns on the same port: every instance reconnects, resubscribes and empties its cache.
    const back = await restart(redis.port);
    const backAt = performance.now();
    await connected(back, instances.length);
    await waitFor(
      "every instance to empty its cache after resubscribing",
      async () => (await Promise.all(instances.map((i) => i.metric(ENTRIES)))).every((n) => n === 0),
      15_000,
      50,
    );
    const resubscribedMs = performance.now() - backAt;

    const returned: Round[] = [];
    for (let i = 0; i < instances.length; i++) {
      const server = instances[i] as Instance;
      returned.push(await measure(instances, server, i % 2 ? "rotate" : "revoke", "returned", 3_000));
    }
    const r = summary(returned);
    console.log(
      `[revocation] Redis back: every instance resubscribed with an empty cache ${Math.round(resubscribedMs)} ms after ` +
        `redis-server answered PING; ${returned.length} rounds: serving instance refused on its first answer ` +
        `${r.atOnce}/${returned.length}; the other two refused after median ${r.median.toFixed(1)} ms, ` +
        `max ${r.max.toFixed(1)} ms`,
    );
    expect(returned.map((x) => x.first)).toEqual(returned.map(() => 401));
    expect(returned.flatMap((x) => x.others.filter((o) => o.ms > BOUND_MS))).toEqual([]);
    for (const instance of instances) {
      expect(instance.running()).toBe(true);
      expect(instance.logs).not.toMatch(/uncaught|unhandled/i);
    }
  }, 90_000);

  it("a deaf subscription (open, hearing nothing) and the database down: the instance that missed a rotation answers 503 for the old credential, not 200 from its cache", async () => {
    const redis = await suite.redis();
    const redisOfB = await suite.proxy({ host: "127.0.0.1", port: redis.port });
    const databaseOfB = await suite.proxy();
    const ttlMs = 1_000;
    const env = { VERIFY_CACHE_TTL_SECONDS: String(ttlMs / 1000), VERIFY_CACHE_OUTAGE_SECONDS: "300" };
    const [a, b] = await Promise.all([
      suite.instance("deaf-A", database.url(), { ...env, REDIS_URL: redis.url }),
      suite.instance("deaf-B", database.url(databaseOfB.port), {
        ...env,
        REDIS_URL: `redis://127.0.0.1:${redisOfB.port}`,
      }),
    ]);
    await connected(redis, 2);
    const rotated = await createSecret(a, admin, "deaf");
    const untouched = await createSecret(a, admin, "deaf");
    await cachedBy(b, [rotated, untouched]);

    // First, hearing everything: with its database down, B answers from entries older than the TTL.
    await databaseOfB.refuse();
    databaseOfB.cut();
    await sleep(ttlMs + 200);
    const hearing = await b.verify(untouched.keyId, untouched.secret);
    await databaseOfB.restore();
    expect(hearing).toBe(200);
    const staleWhileHearing = await b.metric(LOOKUPS, STALE);
    expect(staleWhileHearing).toBe(1);
    for (const secret of [rotated, untouched]) expect(await b.verify(secret.keyId, secret.secret)).toBe(200);

    // B's subscription stops hearing; B, and Redis, still see it open. A rotates one secret.
    redisOfB.deafenSubscribers();
    const rotation = await a.graphql(ROTATE_SECRET, { input: { id: rotated.id, gracePeriodSeconds: 0 } }, admin);
    expect(rotation.body.errors).toBeUndefined();
    expect(await a.verify(rotated.keyId, rotated.secret)).toBe(401);

    // B's database goes down, and B's entries grow older than the TTL: B may answer from them only
    // if it can show it heard every change, and the count in Redis is ahead of what it heard.
    await databaseOfB.refuse();
    databaseOfB.cut();
    await sleep(ttlMs + 200);
    const during = {
      rotated: await b.verify(rotated.keyId, rotated.secret),
      untouched: await b.verify(untouched.keyId, untouched.secret),
    };
    const stale = (await b.metric(LOOKUPS, STALE)) - staleWhileHearing;

    await databaseOfB.restore();
    await redisOfB.restore();
    const after = await waitFor(
      "B to answer from the database again",
      async () => {
        const answers = {
          rotated: await b.verify(rotated.keyId, rotated.secret),
          untouched: await b.verify(untouched.keyId, untouched.secret),
        };
        return answers.untouched === 200 ? answers : false;
      },
      15_000,
      100,
    );
    console.log(
      `[revocation] deaf subscription, database down: B answered the rotated credential ${during.rotated} and ` +
        `an untouched one ${during.untouched} (${stale} stale answers; while it heard everything, it answered from its cache); database back: ` +
        `${after.rotated} and ${after.untouched}`,
    );
    // It cannot tell which of its entries the missed change ended, so it answers from none of them.
    expect(during).toEqual({ rotated: 503, untouched: 503 });
    expect(stale).toBe(0);
    expect(after).toEqual({ rotated: 401, untouched: 200 });
  });

  it("an announcement that failed (the serving instance cut off from Redis) is made once Redis is back: the other instance refuses the old credential then, before its TTL", async () => {
    const redis = await suite.redis();
    const redisOfA = await suite.proxy({ host: "127.0.0.1", port: redis.port });
    const ttlMs = 10_000;
    const env = { VERIFY_CACHE_TTL_SECONDS: String(ttlMs / 1000) };
    const [a, b] = await Promise.all([
      suite.instance("unannounced-A", database.url(), { ...env, REDIS_URL: `redis://127.0.0.1:${redisOfA.port}` }),
      suite.instance("unannounced-B", database.url(), { ...env, REDIS_URL: redis.url }),
    ]);
    await connected(redis, 2);
    const secret = await createSecret(a, admin, "unannounced");
    const lookedUpAt = await cachedBy(b, [secret]);

    // A loses Redis, then rotates: the change commits, its announcement cannot be made.
    const offset = a.logs.length;
    await redisOfA.refuse();
    redisOfA.cut();
    await waitFor(
      "A to report Redis unreachable",
      () => Promise.resolve(reportsRedisGone(a, offset, "commands")),
      10_000,
      50,
    );
    const rotation = await a.graphql(ROTATE_SECRET, { input: { id: secret.id, gracePeriodSeconds: 0 } }, admin);
    expect(rotation.body.errors).toBeUndefined();
    await waitFor(
      "A to log that it could not announce the rotation",
      () => Promise.resolve(a.logs.slice(offset).includes("Could not announce changed credentials")),
      5_000,
      50,
    );
    await sleep(1_000);
    // Nothing told B: it still answers from its cache.
    expect(await b.verify(secret.keyId, secret.secret)).toBe(200);

    await redisOfA.restore();
    const backAt = performance.now();
    const refusal = await untilRefused(b, secret, backAt, lookedUpAt, 5_000);
    console.log(
      `[revocation] announcement failed, Redis back for A: B refused the old credential ${round1(refusal.ms)} ms ` +
        `after A's Redis returned (${round1(refusal.sinceLookupMs)} ms after B cached it; TTL ${ttlMs} ms)`,
    );
    expect(refusal.ms).toBeLessThan(5_000);
    expect(refusal.sinceLookupMs).toBeLessThan(ttlMs);
    await waitFor(
      "A to log the announcement made late",
      () =>
        Promise.resolve(
          a.logs.slice(offset).includes("Announced changed credentials that could not be announced before"),
        ),
      5_000,
      50,
    );
  });

  it("without REDIS_URL: one instance, no pub/sub, refuses a rotated or revoked credential at once", async () => {
    const solo = await suite.instance("solo", database.url(), { VERIFY_CACHE_TTL_SECONDS: "10" });
    const rounds: Round[] = [];
    for (const kind of ["rotate", "revoke"] as const) rounds.push(await measure([solo], solo, kind, "solo", 0));
    console.log(
      `[revocation] no REDIS_URL, one instance: ${rounds.map((x) => `${x.kind} → HTTP ${x.first}`).join(", ")} ` +
        `on the first answer after the mutation returned`,
    );
    expect(rounds.map((x) => x.first)).toEqual([401, 401]);
    expect(solo.logs).not.toMatch(/redis|Could not announce/i);
  });

  suite.hygieneTest();
});
