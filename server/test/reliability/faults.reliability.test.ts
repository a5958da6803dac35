// Issue #5, point 2 (research catalogue F1, F3, F4, F5): one server process whose DATABASE_URL
// points at a TCP fault proxy in front of MariaDB. The test inspects and provokes the database
// over its own direct connections, which the proxy never touches.
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  INTERNALS,
  LIST_SECRETS,
  REVOKE_SECRET,
  ROTATE_SECRET,
  ReliabilitySuite,
  createSecret,
  errorCodes,
  rotateSecret,
  waitFor,
  type GraphQLAnswer,
  type Instance,
  type Revealed,
  type TestDatabase,
} from "./support/cluster";
import type { TcpProxy } from "./support/tcp-proxy";

const PROJECT = "faults";
const CACHE_TTL_SECONDS = 2;

interface SecretRows {
  /** Every credential's Key ID, oldest first. */
  keyIds: string[];
  /** The Key IDs verification accepts (the secret's row and the credentials' agree): current, then previous. */
  live: string[];
  currentKeyId: string | undefined;
  audit: string[];
}

describe("faults: the database connection cut, the database down, a row lock held", () => {
  const suite = new ReliabilitySuite();
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: Instance;
  let admin: string;

  async function rowsOf(secretId: string): Promise<SecretRows> {
    const credentials = await database.query<{ key_id: string }>(
      "SELECT key_id FROM credential WHERE secret_id = ? ORDER BY generation",
      [secretId],
    );
    const [secret] = await database.query<{
      current_key_id: string;
      previous_key_id: string | null;
      previous_live: number | null;
      revoked: number;
    }>(
      `SELECT current_key_id, previous_key_id, previous_expires_at > UTC_TIMESTAMP(3) AS previous_live,
              revoked_at IS NOT NULL AS revoked
       FROM api_secret WHERE id = ?`,
      [secretId],
    );
    const audit = await database.query<{ action: string }>(
      "SELECT action FROM audit_event WHERE secret_id = ? ORDER BY occurred_at, action",
      [secretId],
    );
    const live =
      !secret || secret.revoked
        ? []
        : [secret.current_key_id, ...(secret.previous_key_id && secret.previous_live ? [secret.previous_key_id] : [])];
    // Verification reads each credential's own row: it must say the same, whatever the fault cut.
    const liveRows = await database.query<{ key_id: string }>(
      `SELECT key_id FROM credential WHERE secret_id = ? AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > UTC_TIMESTAMP(3)) ORDER BY generation DESC`,
      [secretId],
    );
    expect(liveRows.map((row) => row.key_id)).toEqual(live);
    return {
      keyIds: credentials.map((c) => c.key_id),
      live,
      currentKeyId: secret?.current_key_id,
      audit: audit.map((a) => a.action),
    };
  }

  /** Credential and audit rows in the whole database (orphans would show up here). */
  async function totals(): Promise<{ credentials: number; audit: number; secrets: number }> {
    const [row] = await database.query<{ credentials: number; audit: number; secrets: number }>(
      `SELECT (SELECT COUNT(*) FROM credential) AS credentials, (SELECT COUNT(*) FROM audit_event) AS audit,
              (SELECT COUNT(*) FROM api_secret) AS secrets`,
    );
    return { credentials: Number(row?.credentials), audit: Number(row?.audit), secrets: Number(row?.secrets) };
  }

  function expectTypedError(answer: GraphQLAnswer, code: string, mutation = "rotateSecret"): void {
    expect({
      status: answer.status,
      codes: errorCodes(answer.body),
      data: answer.body.data?.[mutation] ?? null,
    }).toEqual({
      status: 200,
      codes: [code],
      data: null,
    });
    expect(JSON.stringify(answer.body.errors)).not.toMatch(INTERNALS);
  }

  /** The connection broke after the COMMIT left Keyturn: it cannot know whether it took, and says so. */
  function expectUnknownOutcome(answer: GraphQLAnswer, mutation = "rotateSecret"): void {
    expectTypedError(answer, "SERVICE_UNAVAILABLE", mutation);
    expect(answer.body.errors[0].message).toMatch(/may or may not have been made/);
  }

  /** The secret as createSecret left it, nothing else written, and its credential still verifying. */
  async function expectUnchanged(secret: Revealed, before: Awaited<ReturnType<typeof totals>>): Promise<void> {
    expect(await rowsOf(secret.id)).toEqual({
      keyIds: [secret.keyId],
      live: [secret.keyId],
      currentKeyId: secret.keyId,
      audit: ["secret.created"],
    });
    expect(await totals()).toEqual(before);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);
  }

  beforeAll(async () => {
    database = await suite.database();
    proxy = await suite.proxy();
    server = await suite.instance("faulty", database.url(proxy.port), {
      VERIFY_CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS),
    });
    admin = await suite.token({ [PROJECT]: "admin" });
  }, 60_000);

  it("connection cut before COMMIT during a rotation: typed SERVICE_UNAVAILABLE, the old credential still the single active one, no orphan rows, a retry succeeds", async () => {
    const secret = await createSecret(server, admin, PROJECT);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);
    const before = await totals();

    // Test-only: the rotation's last statement before COMMIT (its audit event) pauses 2 s in the database.
    await database.query(
      "CREATE TRIGGER reliability_pause BEFORE INSERT ON audit_event FOR EACH ROW SET @reliability_pause = SLEEP(2)",
    );
    let answer: GraphQLAnswer;
    try {
      const rotation = server.graphql(ROTATE_SECRET, { input: { id: secret.id } }, admin);
      await waitFor(
        "the rotation to pause in its audit INSERT",
        async () =>
          (
            await database.query(
              "SELECT 1 FROM information_schema.processlist WHERE db = ? AND info LIKE 'SET @reliability_pause%'",
              [database.name],
            )
          ).length > 0,
        5_000,
        10,
      );
      const cutAt = performance.now();
      const cut = proxy.cut();
      answer = await rotation;
      console.log(
        `[faults] cut ${cut} database connection(s) while the rotation waited before COMMIT: answered ` +
          `${JSON.stringify(errorCodes(answer.body))} ${Math.round(performance.now() - cutAt)} ms after the cut`,
      );
    } finally {
      await database.query("DROP TRIGGER IF EXISTS reliability_pause");
    }
    expectTypedError(answer, "SERVICE_UNAVAILABLE");

    // MariaDB rolls the transaction back once its thread notices the client is gone (after the sleep).
    await waitFor(
      "the cut connection's statement to end",
      async () =>
        (
          await database.query(
            "SELECT 1 FROM information_schema.processlist WHERE db = ? AND info LIKE 'SET @reliability_pause%'",
            [database.name],
          )
        ).length === 0,
      10_000,
    );
    await expectUnchanged(secret, before);

    const retried = await rotateSecret(server, admin, secret.id);
    const retriedRows = await rowsOf(secret.id);
    expect(retriedRows.currentKeyId).toBe(retried.keyId);
    expect(retriedRows.live).toEqual([retried.keyId]);
    expect(retriedRows.audit).toEqual(["secret.created", "secret.rotated"]);
    expect(await server.verify(retried.keyId, retried.secret)).toBe(200);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(401);
  });

  it("connection cut as the rotation's COMMIT is sent: SERVICE_UNAVAILABLE saying the change may have been made; it was not, and a retry succeeds", async () => {
    const secret = await createSecret(server, admin, PROJECT);
    const before = await totals();

    const cut = proxy.cutAtCommit("before-commit");
    const answer = await server.graphql(ROTATE_SECRET, { input: { id: secret.id } }, admin);
    await cut;
    expectUnknownOutcome(answer);

    // MariaDB never saw the COMMIT, so the rotation was rolled back with the connection.
    await expectUnchanged(secret, before);
    // A retry is not held up by the cut transaction's row locks (it would wait 5 s, then CONFLICT).
    const retried = await rotateSecret(server, admin, secret.id);
    expect((await rowsOf(secret.id)).currentKeyId).toBe(retried.keyId);
    expect(await server.verify(retried.keyId, retried.secret)).toBe(200);
  });

  it("connection cut after MariaDB committed the rotation, before its answer: the same SERVICE_UNAVAILABLE; the rotation stands and the old credential stops", async () => {
    const secret = await createSecret(server, admin, PROJECT);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);

    const cut = proxy.cutAtCommit("before-answer");
    const answer = await server.graphql(ROTATE_SECRET, { input: { id: secret.id } }, admin);
    await cut;
    expectUnknownOutcome(answer);

    // Made, durably: a current credential whose secret nobody saw (the message says to rotate again).
    const after = await rowsOf(secret.id);
    expect(after.currentKeyId).not.toBe(secret.keyId);
    expect(after.keyIds).toEqual([secret.keyId, after.currentKeyId]);
    expect(after.live).toEqual([after.currentKeyId]);
    expect(after.audit).toEqual(["secret.created", "secret.rotated"]);
    // The old credential, cached by the verification above, stops at once, not at the entry's TTL:
    // not knowing whether the rotation was made, Keyturn dropped every cached Key ID of the secret.
    expect(await server.verify(secret.keyId, secret.secret)).toBe(401);

    // As the message advises: rotate again, and the new credentials work.
    const again = await rotateSecret(server, admin, secret.id);
    expect(await server.verify(again.keyId, again.secret)).toBe(200);
    expect((await rowsOf(secret.id)).live).toEqual([again.keyId]);
  });

  it("the database goes down as MariaDB's answer to a committed rotation is lost: the old credential is not served from the cache, nor once the database is back", async () => {
    const secret = await createSecret(server, admin, PROJECT);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);

    const cut = proxy.cutAtCommit("before-answer", { databaseDown: true });
    const answer = await server.graphql(ROTATE_SECRET, { input: { id: secret.id } }, admin);
    await cut;
    expectUnknownOutcome(answer);

    // Keyturn cannot read back which Key IDs the rotation may have ended, so it drops every cached
    // one of the secret: the old credential is looked up again, and with the database down that
    // is 503, not the fresh cache entry's 200 (nor, later, an old entry's through the outage).
    expect(await server.verify(secret.keyId, secret.secret)).toBe(503);
    await proxy.restore();
    // The rotation was made: the old credential stays refused.
    await waitFor(
      "the old credential to be refused once the database is back",
      async () => (await server.verify(secret.keyId, secret.secret)) === 401,
      10_000,
      100,
    );
    expect((await rowsOf(secret.id)).live).not.toContain(secret.keyId);
  });

  it("connection cut after MariaDB committed a revocation, before its answer: SERVICE_UNAVAILABLE saying it may have been made; it was, and the credential stops at once", async () => {
    const secret = await createSecret(server, admin, PROJECT);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);

    const cut = proxy.cutAtCommit("before-answer");
    const answer = await server.graphql(REVOKE_SECRET, { input: { id: secret.id } }, admin);
    await cut;
    expectUnknownOutcome(answer, "revokeSecret");

    const after = await rowsOf(secret.id);
    expect(after.keyIds).toEqual([secret.keyId]);
    expect(after.live).toEqual([]);
    expect(after.audit).toEqual(["secret.created", "secret.revoked"]);
    // Dropped from the cache although the answer never came: not served until the entry's TTL.
    expect(await server.verify(secret.keyId, secret.secret)).toBe(401);
  });

  it("a row lock held by another session: rotateSecret answers a typed CONFLICT after about 5 s (innodb_lock_wait_timeout), not 50 s, and writes nothing", async () => {
    const secret = await createSecret(server, admin, PROJECT);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);
    const before = await rowsOf(secret.id);
    const holder = await database.connect();
    let answer: GraphQLAnswer;
    try {
      await holder.query("START TRANSACTION");
      await holder.query("SELECT id FROM api_secret WHERE id = ? FOR UPDATE", [secret.id]);
      const heldSince = performance.now();
      answer = await server.graphql(ROTATE_SECRET, { input: { id: secret.id } }, admin);
      console.log(
        `[faults] row lock held by another session: rotateSecret answered ${JSON.stringify(errorCodes(answer.body))} ` +
          `after ${Math.round(answer.ms)} ms`,
      );
      // The holder keeps its lock for about 8 s in all, as a slow admin tool would.
      await sleep(Math.max(0, 8_000 - (performance.now() - heldSince)));
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
      await holder.end();
    }
    expectTypedError(answer, "CONFLICT");
    expect(answer.ms).toBeGreaterThanOrEqual(4_500);
    expect(answer.ms).toBeLessThan(7_000);
    expect(await rowsOf(secret.id)).toEqual(before);
    expect(await server.verify(secret.keyId, secret.secret)).toBe(200);
    // Once the lock is gone the same rotation goes through.
    const rotated = await rotateSecret(server, admin, secret.id);
    expect(await server.verify(rotated.keyId, rotated.secret)).toBe(200);
  }, 60_000);

  it("database down: /readyz 503 within 5 s, GraphQL SERVICE_UNAVAILABLE within 2 s, cached verification keeps answering, no crash, recovery within 10 s", async () => {
    const cached = await createSecret(server, admin, PROJECT);
    const uncached = await createSecret(server, admin, PROJECT);
    expect(await server.verify(cached.keyId, cached.secret)).toBe(200);

    // The database goes away: open connections are cut and new ones refused (ECONNREFUSED).
    await proxy.refuse();
    proxy.cut();
    const downAt = performance.now();

    const readyz = await waitFor(
      "/readyz to answer 503",
      async () => {
        const res = await server.get("/readyz");
        return res.status === 503 ? performance.now() - downAt : false;
      },
      10_000,
      50,
    );
    const query = await server.graphql(LIST_SECRETS, { projectId: PROJECT }, admin);
    const rotation = await server.graphql(ROTATE_SECRET, { input: { id: cached.id } }, admin);

    // Verification over the whole outage, past the cache TTL: the cached credential keeps answering.
    const verifications: number[] = [];
    const verifyUntil = performance.now() + (CACHE_TTL_SECONDS + 1.5) * 1000;
    while (performance.now() < verifyUntil) {
      verifications.push(await server.verify(cached.keyId, cached.secret));
      await sleep(100);
    }
    const neverSeen = await server.verify(uncached.keyId, uncached.secret);
    const staleLookups = await server.metric("keyturn_credential_cache_lookups_total", 'result="stale"');

    console.log(
      `[faults] database refusing: /readyz 503 after ${Math.round(readyz)} ms; apiSecrets ` +
        `${JSON.stringify(errorCodes(query.body))} in ${Math.round(query.ms)} ms; rotateSecret ` +
        `${JSON.stringify(errorCodes(rotation.body))} in ${Math.round(rotation.ms)} ms; cached credential verified ` +
        `${verifications.filter((s) => s === 200).length}/${verifications.length} times over ` +
        `${CACHE_TTL_SECONDS + 1.5} s (${staleLookups} stale cache answers); a never-verified credential: HTTP ${neverSeen}`,
    );
    expect(readyz).toBeLessThanOrEqual(5_000);
    expect({ codes: errorCodes(query.body), data: query.body.data?.apiSecrets ?? null }).toEqual({
      codes: ["SERVICE_UNAVAILABLE"],
      data: null,
    });
    expect(query.ms).toBeLessThanOrEqual(2_000);
    expectTypedError(rotation, "SERVICE_UNAVAILABLE");
    expect(rotation.ms).toBeLessThanOrEqual(2_000);
    expect(verifications.every((status) => status === 200)).toBe(true);
    expect(staleLookups).toBeGreaterThan(0);
    // Unknown to the cache: "unavailable", never "invalid" (clients retry instead of giving up on a good key).
    expect(neverSeen).toBe(503);

    // A partition rather than a refusal: connections are accepted and never answered. The pool's
    // acquire timeout (mysql2 has none) still bounds the answer.
    await proxy.blackhole();
    const hung = await server.graphql(LIST_SECRETS, { projectId: PROJECT }, admin);
    const hungReadyz = await server.get("/readyz");
    console.log(
      `[faults] database silent (blackhole): apiSecrets ${JSON.stringify(errorCodes(hung.body))} in ${Math.round(hung.ms)} ms; ` +
        `/readyz ${hungReadyz.status} in ${Math.round(hungReadyz.ms)} ms`,
    );
    expect(errorCodes(hung.body)).toEqual(["SERVICE_UNAVAILABLE"]);
    expect(hung.ms).toBeLessThanOrEqual(2_500);
    expect(hungReadyz.status).toBe(503);
    expect(hungReadyz.ms).toBeLessThanOrEqual(5_000);
    expect(server.running()).toBe(true);

    // The database returns (the silent connections die with the partition).
    await proxy.restore();
    proxy.cut();
    const backAt = performance.now();
    const readyAgain = await waitFor(
      "/readyz 200 after the database returned",
      async () => ((await server.get("/readyz")).status === 200 ? performance.now() - backAt : false),
      15_000,
      100,
    );
    const graphqlAgain = await waitFor(
      "GraphQL answering after the database returned",
      async () => {
        const answer = await server.graphql(LIST_SECRETS, { projectId: PROJECT }, admin);
        return answer.body.errors ? false : performance.now() - backAt;
      },
      15_000,
      100,
    );
    console.log(
      `[faults] database back: /readyz 200 after ${Math.round(readyAgain)} ms, GraphQL answering after ${Math.round(graphqlAgain)} ms`,
    );
    expect(readyAgain).toBeLessThanOrEqual(10_000);
    expect(graphqlAgain).toBeLessThanOrEqual(10_000);

    // Fully usable again: no connection left over from the outage fails a request.
    const after = await Promise.all(
      Array.from({ length: 20 }, () => server.graphql(LIST_SECRETS, { projectId: PROJECT }, admin)),
    );
    expect(after.map((a) => errorCodes(a.body))).toEqual(after.map(() => []));
    const rotated: Revealed = await rotateSecret(server, admin, cached.id);
    expect(await server.verify(rotated.keyId, rotated.secret)).toBe(200);
    expect(await server.verify(cached.keyId, cached.secret)).toBe(401);
    expect(await server.verify(uncached.keyId, uncached.secret)).toBe(200);

    // The process never went down, and stops cleanly now.
    expect(server.running()).toBe(true);
    expect(server.logs).not.toMatch(/uncaught|unhandled/i);
    await server.stop();
    expect(server.exit).toEqual({ code: 0, signal: null });
    expect(server.logs).toContain("Stopped cleanly");
  }, 90_000);

  suite.hygieneTest();
});
