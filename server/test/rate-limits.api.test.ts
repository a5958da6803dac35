import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CredentialFormat } from "@keyturn/shared";
import { Redis } from "ioredis";
import { ApiSecret } from "../src/api-secrets/api-secret.entity";
import { AuditEvent } from "../src/audit/audit-event.entity";
import { describeEachDatabase } from "./support/databases";
import {
  CREATE_SECRET,
  LIST_SECRETS,
  REVOKE_SECRET,
  ROTATE_SECRET,
  createSecret,
  errorCode,
  type Revealed,
} from "./support/operations";
import { hostToken, startTestServer, useTestServer, type TestServer } from "./support/test-server";

const LIMITS = {
  RATE_LIMIT_MUTATIONS_PER_MINUTE: "3",
  RATE_LIMIT_FAILED_VERIFICATIONS_PER_IP: "5",
  RATE_LIMIT_FAILED_VERIFICATIONS_PER_KEY_ID: "3",
  // Client addresses come from X-Forwarded-For, so one test process can play many clients.
  TRUST_PROXY: "true",
};
const REDIS_URL = "redis://127.0.0.1:6379";

/** POSTs a GraphQL operation and keeps the HTTP response (status and headers matter here). */
function graphqlResponse(server: TestServer, query: string, variables: Record<string, unknown>, token: string) {
  return server.http().post("/graphql").set("authorization", `Bearer ${token}`).send({ query, variables });
}

function verify(server: TestServer, ip: string, keyId: string, secret: string) {
  return server.http().post("/v1/verify").set("x-forwarded-for", ip).send({ keyId, secret });
}

/** A well-formed secret with a valid checksum that belongs to nobody: a WRONG_SECRET, not MALFORMED. */
const wrongSecret = () => new CredentialFormat().generate().secret;

function expectTooManyChanges(res: { status: number; headers: Record<string, string>; body: unknown }): number {
  const body = res.body as {
    data?: unknown;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
  expect(errorCode(body)).toBe("TOO_MANY_REQUESTS");
  const retryAfterSeconds = body.errors?.[0]?.extensions?.retryAfterSeconds;
  expect(retryAfterSeconds).toEqual(expect.any(Number));
  expect(retryAfterSeconds).toBeGreaterThan(0);
  expect(retryAfterSeconds).toBeLessThanOrEqual(60);
  expect(res.headers["retry-after"]).toBe(String(retryAfterSeconds));
  // The header travels as a header only: Apollo's `http` extension is not echoed.
  expect(body.errors?.[0]?.extensions?.http).toBeUndefined();
  return retryAfterSeconds as number;
}

describeEachDatabase("rate limits", (createDatabase) => {
  const server = useTestServer(createDatabase, LIMITS);

  describe("changes per admin (RATE_LIMIT_MUTATIONS_PER_MINUTE=3)", () => {
    let alice: string;
    let bob: string;

    beforeAll(async () => {
      alice = await hostToken({ acme: "admin" }, { sub: "alice@example.com" });
      bob = await hostToken({ acme: "admin" }, { sub: "bob@example.com" });
    });

    it("refuses an admin's 4th change with TOO_MANY_REQUESTS, retryAfterSeconds and a Retry-After header", async () => {
      const first = await createSecret(server, alice, "acme", "One");
      const rotated = await graphqlResponse(server, ROTATE_SECRET, { input: { id: first.id } }, alice);
      expect(rotated.body.errors).toBeUndefined();
      const revoked = await graphqlResponse(server, REVOKE_SECRET, { input: { id: first.id } }, alice);
      expect(revoked.body.errors).toBeUndefined();
      const manager = server.db.dataSource.manager;
      const secretsBefore = await manager.count(ApiSecret);
      const eventsBefore = await manager.count(AuditEvent);

      // Each kind of change is refused now, and none of them is made.
      expectTooManyChanges(await graphqlResponse(server, CREATE_SECRET, { input: { projectId: "acme" } }, alice));
      const second = await createSecret(server, bob, "acme", "Bob's");
      expectTooManyChanges(await graphqlResponse(server, ROTATE_SECRET, { input: { id: second.id } }, alice));
      expectTooManyChanges(await graphqlResponse(server, REVOKE_SECRET, { input: { id: second.id } }, alice));
      expect(await manager.count(ApiSecret)).toBe(secretsBefore + 1);
      expect(await manager.count(AuditEvent)).toBe(eventsBefore + 1);

      // Reading is not a change: the list still answers.
      const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, alice);
      expect(list.errors).toBeUndefined();
    });

    it("counts per admin: another admin of the same project, from the same address, is unaffected", async () => {
      // Bob made one change above; two more are within his limit.
      const secret = await createSecret(server, bob, "acme", "Bob's second");
      const rotated = await graphqlResponse(server, ROTATE_SECRET, { input: { id: secret.id } }, bob);
      expect(rotated.body.errors).toBeUndefined();
      expectTooManyChanges(await graphqlResponse(server, REVOKE_SECRET, { input: { id: secret.id } }, bob));
    });

    it("does not count a change the caller may not make", async () => {
      const carol = await hostToken({ acme: "admin", beta: "viewer" }, { sub: "carol@example.com" });
      const dave = await hostToken({ beta: "admin", gamma: "admin" }, { sub: "dave@example.com" });
      const inBeta = await createSecret(server, dave, "beta", "Beta's");
      const inGamma = await createSecret(server, dave, "gamma", "Gamma's");
      for (let i = 0; i < 2; i++) {
        const res = await graphqlResponse(server, CREATE_SECRET, { input: { projectId: "beta" } }, carol);
        expect(errorCode(res.body)).toBe("FORBIDDEN");
      }
      // A rotation is refused only once the secret's project is known (on MySQL, by the procedure
      // that would make it): a viewer's, an outsider's and one of a secret that does not exist.
      for (const [id, code] of [
        [inBeta.id, "FORBIDDEN"],
        [inGamma.id, "NOT_FOUND"],
        [randomUUID(), "NOT_FOUND"],
      ] as const) {
        const res = await graphqlResponse(server, ROTATE_SECRET, { input: { id } }, carol);
        expect(errorCode(res.body)).toBe(code);
      }
      // Carol's limit is 3: all three changes she may make are still hers.
      const allowed = await createSecret(server, carol, "acme", "Carol's");
      for (const query of [ROTATE_SECRET, REVOKE_SECRET]) {
        const res = await graphqlResponse(server, query, { input: { id: allowed.id } }, carol);
        expect(res.body.errors).toBeUndefined();
      }
      expectTooManyChanges(await graphqlResponse(server, CREATE_SECRET, { input: { projectId: "acme" } }, carol));
    });
  });

  describe("failed verifications (5 per IP, 3 per Key ID)", () => {
    let alice: string;
    let target: Revealed;
    let bystander: Revealed;

    beforeAll(async () => {
      alice = await hostToken({ verify: "admin" }, { sub: "verify-admin@example.com" });
      target = await createSecret(server, alice, "verify", "Target");
      bystander = await createSecret(server, alice, "verify", "Bystander");
    });

    it("answers 429 with Retry-After and a JSON body to an IP past its limit, even for a then-correct credential from that IP", async () => {
      const ip = "198.51.100.1";
      // Well-formed Key IDs nobody issued, each tried once: only the IP's count reaches the limit.
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const stranger = new CredentialFormat().generate();
        statuses.push((await verify(server, ip, stranger.keyId, stranger.secret)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      // Failures are counted after answering, so the one past the limit may still get its 401.
      const stranger = new CredentialFormat().generate();
      expect([401, 429]).toContain((await verify(server, ip, stranger.keyId, stranger.secret)).status);

      const blocked = await verify(server, ip, target.keyId, target.secret);
      expect(blocked.status).toBe(429);
      expect(blocked.headers["content-type"]).toMatch(/^application\/json/);
      const retryAfter = Number(blocked.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(blocked.body).toEqual({ error: "Too many failed verifications", retryAfterSeconds: retryAfter });

      const report = await server
        .http()
        .get("/analytics/v1/report")
        .set("x-forwarded-for", ip)
        .set("authorization", `Basic ${Buffer.from(`${target.keyId}:${target.secret}`).toString("base64")}`);
      expect(report.status).toBe(429);
      expect(report.headers["retry-after"]).toBe(String(retryAfter));

      // The same credential from another address is fine: the IP was blocked, not the Key ID.
      expect((await verify(server, "198.51.100.2", target.keyId, target.secret)).status).toBe(200);
    });

    it("blocks a Key ID past its limit from every IP, while its other Key IDs and those IPs are unaffected", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await verify(server, `203.0.113.${10 + i}`, target.keyId, wrongSecret())).status);
      }
      expect(statuses).toEqual([401, 401, 401]);
      expect([401, 429]).toContain((await verify(server, "203.0.113.13", target.keyId, wrongSecret())).status);

      const blocked = await verify(server, "203.0.113.99", target.keyId, target.secret);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
      expect(blocked.body).toEqual({ error: "Too many failed verifications", retryAfterSeconds: expect.any(Number) });
      // Another Key ID from the same fresh address, and from an address that tried the target.
      expect((await verify(server, "203.0.113.99", bystander.keyId, bystander.secret)).status).toBe(200);
      expect((await verify(server, "203.0.113.10", bystander.keyId, bystander.secret)).status).toBe(200);
    });

    it("counts a malformed credential against the IP only: attackers choose those Key IDs freely", async () => {
      // A typo in the secret fails the checksum (MALFORMED), here once from each of many addresses.
      const typo = `${bystander.secret.slice(0, -1)}${bystander.secret.endsWith("A") ? "B" : "A"}`;
      for (let i = 0; i < 6; i++) {
        expect((await verify(server, `192.0.2.${i + 1}`, bystander.keyId, typo)).status).toBe(401);
      }
      expect((await verify(server, "192.0.2.200", bystander.keyId, bystander.secret)).status).toBe(200);
    });

    it("counts unknown Key IDs, and right secrets of revoked and expired credentials, against the IP only: none is a guess at a stored secret", async () => {
      const stranger = new CredentialFormat().generate();
      // Admins of their own: alice has spent two of her three changes in beforeAll.
      const revoker = await hostToken({ verify: "admin" }, { sub: "verify-revoker@example.com" });
      const revoked = await createSecret(server, revoker, "verify", "Revoked");
      const revoking = await graphqlResponse(server, REVOKE_SECRET, { input: { id: revoked.id } }, revoker);
      expect(revoking.body.errors).toBeUndefined();
      const rotator = await hostToken({ verify: "admin" }, { sub: "verify-rotator@example.com" });
      const expired = await createSecret(server, rotator, "verify", "Expired");
      const rotating = await graphqlResponse(
        server,
        ROTATE_SECRET,
        { input: { id: expired.id, gracePeriodSeconds: 1 } },
        rotator,
      );
      expect(rotating.body.errors).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (const [i, { keyId, secret }] of [stranger, revoked, expired].entries()) {
        // Past the Key ID's limit of three, each from an address of its own: all refused, none blocked.
        for (let j = 0; j < 5; j++) {
          expect((await verify(server, `192.0.2.${100 + 10 * i + j}`, keyId, secret)).status).toBe(401);
        }
        expect((await verify(server, `192.0.2.${150 + i}`, keyId, secret)).status).toBe(401);
      }
    });

    it("never counts successful verifications", async () => {
      const ip = "198.51.100.50";
      for (let i = 0; i < 20; i++) {
        expect((await verify(server, ip, bystander.keyId, bystander.secret)).status).toBe(200);
      }
      // Twenty successes later, this address still has its whole allowance of five failures.
      for (let i = 0; i < 5; i++) {
        const stranger = new CredentialFormat().generate();
        expect((await verify(server, ip, stranger.keyId, stranger.secret)).status).toBe(401);
      }
      // And the Key ID, verified twenty times, is not blocked anywhere.
      expect((await verify(server, "198.51.100.51", bystander.keyId, bystander.secret)).status).toBe(200);
    });
  });
});

describeEachDatabase("rate limits shared through Redis", (createDatabase) => {
  const env = { ...LIMITS, REDIS_URL };
  const first = useTestServer(createDatabase, env);
  let second: TestServer | undefined;
  let redis: Redis;
  // A subject of this run's own: the limiter's keys are `keyturn:mutations:<sub>`, so this run's
  // counters are its own, and deleting them afterwards touches nothing else in Redis.
  const sub = `redis-admin-${randomUUID()}@example.com`;
  const counterKey = `keyturn:mutations:${sub}`;

  beforeAll(async () => {
    second = await startTestServer(first.database, env);
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  afterAll(async () => {
    await second?.close();
    await redis.del(counterKey);
    redis.disconnect();
  });

  it("lets two instances share one admin's change counter", async () => {
    const instances = [first, second!];
    const admin = await hostToken({ acme: "admin" }, { sub });
    const other = await hostToken({ acme: "admin" }, { sub: `other-${sub}` });
    try {
      const created = await createSecret(instances[0]!, admin, "acme", "Shared");
      const rotated = await graphqlResponse(instances[1]!, ROTATE_SECRET, { input: { id: created.id } }, admin);
      expect(rotated.body.errors).toBeUndefined();
      await createSecret(instances[0]!, admin, "acme", "Third change");
      // The counter lives in Redis, not in either process.
      expect(Number(await redis.get(counterKey))).toBe(3);
      expect(await redis.pttl(counterKey)).toBeGreaterThan(0);

      // Each instance alone has seen at most two of the three changes, yet both refuse the fourth.
      expectTooManyChanges(
        await graphqlResponse(instances[1]!, CREATE_SECRET, { input: { projectId: "acme" } }, admin),
      );
      expectTooManyChanges(await graphqlResponse(instances[0]!, REVOKE_SECRET, { input: { id: created.id } }, admin));
      const unaffected = await graphqlResponse(instances[1]!, REVOKE_SECRET, { input: { id: created.id } }, other);
      expect(unaffected.body.errors).toBeUndefined();
    } finally {
      await redis.del(`keyturn:mutations:other-${sub}`);
    }
  });
});
