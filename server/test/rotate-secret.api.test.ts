import { beforeAll, describe, expect, it } from "@jest/globals";
import { ApiSecret } from "../src/api-secrets/api-secret.entity";
import { AuditEvent } from "../src/audit/audit-event.entity";
import { describeEachDatabase } from "./support/databases";
import {
  LIST_SECRETS,
  REVOKE_SECRET,
  ROTATE_SECRET,
  createSecret,
  errorCode,
  rotateSecret,
  verifyStatus,
} from "./support/operations";
import { hostToken, useTestServer } from "./support/test-server";

const HOUR = 3600;

describeEachDatabase("rotateSecret", (createDatabase) => {
  const server = useTestServer(createDatabase);
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
  });

  it("rejects the old credential as soon as rotation commits, by default", async () => {
    const original = await createSecret(server, admin, "acme");
    const body = await server.graphql(ROTATE_SECRET, { input: { id: original.id } }, admin);
    const { apiSecret, credentials } = body.data!.rotateSecret;

    expect(credentials.keyId).not.toBe(original.keyId);
    expect(credentials.secret).not.toBe(original.secret);
    expect(await verifyStatus(server, original.keyId, original.secret)).toBe(401);
    expect(await verifyStatus(server, credentials.keyId, credentials.secret)).toBe(200);
    expect(apiSecret).toMatchObject({
      id: original.id,
      status: "ACTIVE",
      currentKeyId: credentials.keyId,
      secretHint: `ktsk_…${credentials.secret.slice(-4)}`,
      credentials: [{ keyId: credentials.keyId, status: "ACTIVE", expiresAt: null }],
    });
    expect(Date.parse(apiSecret.rotatedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("keeps the old credential working until its grace period ends", async () => {
    const original = await createSecret(server, admin, "acme");
    const rotated = await rotateSecret(server, admin, original.id, HOUR);

    expect(await verifyStatus(server, original.keyId, original.secret)).toBe(200);
    expect(await verifyStatus(server, rotated.keyId, rotated.secret)).toBe(200);

    const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, admin);
    const listed = list.data?.apiSecrets.find((s: { id: string }) => s.id === original.id);
    expect(listed.credentials).toEqual([
      expect.objectContaining({ keyId: rotated.keyId, status: "ACTIVE", expiresAt: null }),
      expect.objectContaining({ keyId: original.keyId, status: "EXPIRING" }),
    ]);
    const expiresAt = Date.parse(listed.credentials[1].expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan((HOUR - 60) * 1000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(HOUR * 1000);

    server.advanceClock((HOUR + 1) * 1000);
    try {
      expect(await verifyStatus(server, original.keyId, original.secret)).toBe(401);
      expect(await verifyStatus(server, rotated.keyId, rotated.secret)).toBe(200);
    } finally {
      server.advanceClock(-(HOUR + 1) * 1000);
    }
  });

  it("answers with the new credential first and the one in its grace period after, as the list does", async () => {
    const original = await createSecret(server, admin, "acme");
    const body = await server.graphql(ROTATE_SECRET, { input: { id: original.id, gracePeriodSeconds: HOUR } }, admin);
    const { apiSecret, credentials } = body.data!.rotateSecret;
    expect(apiSecret.credentials).toEqual([
      expect.objectContaining({ keyId: credentials.keyId, status: "ACTIVE", expiresAt: null }),
      expect.objectContaining({ keyId: original.keyId, status: "EXPIRING", expiresAt: expect.any(String) }),
    ]);
  });

  it("ends an earlier grace period at once when the secret is rotated again", async () => {
    const first = await createSecret(server, admin, "acme");
    const second = await rotateSecret(server, admin, first.id, HOUR);
    const third = await rotateSecret(server, admin, first.id, HOUR);

    expect(await verifyStatus(server, first.keyId, first.secret)).toBe(401);
    expect(await verifyStatus(server, second.keyId, second.secret)).toBe(200);
    expect(await verifyStatus(server, third.keyId, third.secret)).toBe(200);

    const fourth = await rotateSecret(server, admin, first.id, 0);
    for (const old of [first, second, third]) expect(await verifyStatus(server, old.keyId, old.secret)).toBe(401);
    expect(await verifyStatus(server, fourth.keyId, fourth.secret)).toBe(200);
  });

  // The secret's row names its live credentials: the current one, and the previous one until its
  // grace period ends. A rotation ends the credential that was previous by naming another (and,
  // for verification, by revoking it on its own row).
  it("keeps the live credentials on the secret's row, whichever way the rotation before it went", async () => {
    const owner = await hostToken({ "live-keys": "admin" });
    const named = async (id: string) => {
      const { currentKeyId, previousKeyId, previousExpiresAt } = await server.db.dataSource.manager.findOneByOrFail(
        ApiSecret,
        { id },
      );
      return { currentKeyId, previousKeyId, previousExpiresAt: previousExpiresAt?.getTime() ?? null };
    };
    const first = await createSecret(server, owner, "live-keys");
    expect(await named(first.id)).toEqual({ currentKeyId: first.keyId, previousKeyId: null, previousExpiresAt: null });
    const second = await rotateSecret(server, owner, first.id, 0);
    expect(await named(first.id)).toEqual({ currentKeyId: second.keyId, previousKeyId: null, previousExpiresAt: null });
    expect(await verifyStatus(server, first.keyId, first.secret)).toBe(401);

    const third = await rotateSecret(server, owner, first.id, HOUR);
    const graceEnds = (await named(first.id)).previousExpiresAt;
    expect(await named(first.id)).toEqual({
      currentKeyId: third.keyId,
      previousKeyId: second.keyId,
      previousExpiresAt: graceEnds,
    });
    expect(graceEnds).toBeGreaterThan(Date.now() + (HOUR - 60) * 1000);
    expect(await verifyStatus(server, second.keyId, second.secret)).toBe(200);
    // Again within the grace period: the credential in it stops at once, the current one starts its own.
    const fourth = await rotateSecret(server, owner, first.id, HOUR);
    expect((await named(first.id)).previousKeyId).toBe(third.keyId);
    expect(await verifyStatus(server, second.keyId, second.secret)).toBe(401);
    expect(await verifyStatus(server, third.keyId, third.secret)).toBe(200);
    server.advanceClock((HOUR + 1) * 1000);
    try {
      expect(await verifyStatus(server, third.keyId, third.secret)).toBe(401);
      expect(await verifyStatus(server, fourth.keyId, fourth.secret)).toBe(200);
    } finally {
      server.advanceClock(-(HOUR + 1) * 1000);
    }

    const fifth = await rotateSecret(server, owner, first.id, 0);
    expect(await named(first.id)).toEqual({ currentKeyId: fifth.keyId, previousKeyId: null, previousExpiresAt: null });
    for (const old of [first, second, third, fourth]) {
      expect(await verifyStatus(server, old.keyId, old.secret)).toBe(401);
    }
    expect(await verifyStatus(server, fifth.keyId, fifth.secret)).toBe(200);
    const list = await server.graphql(LIST_SECRETS, { projectId: "live-keys" }, owner);
    const listed = list.data?.apiSecrets.find((s: { id: string }) => s.id === first.id);
    expect(listed.credentials).toEqual([expect.objectContaining({ keyId: fifth.keyId, status: "ACTIVE" })]);
  });

  it("writes of the other credential rows only the ends it gives them", async () => {
    const owner = await hostToken({ "live-keys": "admin" });
    const first = await createSecret(server, owner, "live-keys");
    await rotateSecret(server, owner, first.id, HOUR);
    const rows = () =>
      server.db.dataSource.query<Array<Record<string, unknown>>>(
        "SELECT * FROM credential WHERE secret_id = ? ORDER BY generation",
        [first.id],
      );
    const before = await rows();
    const third = await rotateSecret(server, owner, first.id, HOUR);
    const after = await rows();
    const withoutEnds = (row: Record<string, unknown>) => ({ ...row, expires_at: undefined, revoked_at: undefined });
    expect(after.slice(0, -1).map(withoutEnds)).toEqual(before.map(withoutEnds));
    expect(after.at(-1)).toMatchObject({ key_id: third.keyId, generation: 3, expires_at: null, revoked_at: null });
    // The replaced credential gets its grace period's end, and the one in an earlier grace period
    // is revoked: each credential's row says what verification reads.
    const ends = (row: Record<string, unknown>) => [row.generation, row.expires_at !== null, row.revoked_at !== null];
    expect(before.map(ends)).toEqual([
      [1, true, false],
      [2, false, false],
    ]);
    expect(after.map(ends)).toEqual([
      [1, true, true],
      [2, true, false],
      [3, false, false],
    ]);
  });

  it("accepts the limits of the grace period, 0 and 7 days", async () => {
    const secret = await createSecret(server, admin, "acme");
    await expect(rotateSecret(server, admin, secret.id, 0)).resolves.toBeDefined();
    await expect(rotateSecret(server, admin, secret.id, 7 * 24 * HOUR)).resolves.toBeDefined();
  });

  it.each([
    ["negative", -1],
    ["longer than 7 days", 7 * 24 * HOUR + 1],
  ])("refuses a %s grace period with BAD_USER_INPUT and changes nothing", async (_label, gracePeriodSeconds) => {
    const secret = await createSecret(server, admin, "acme");
    const body = await server.graphql(ROTATE_SECRET, { input: { id: secret.id, gracePeriodSeconds } }, admin);
    expect(errorCode(body)).toBe("BAD_USER_INPUT");
    expect(body.errors?.[0]?.extensions?.fields).toEqual([expect.objectContaining({ field: "gracePeriodSeconds" })]);
    expect(await verifyStatus(server, secret.keyId, secret.secret)).toBe(200);
  });

  it("refuses a non-integer grace period and a malformed id with BAD_USER_INPUT", async () => {
    const secret = await createSecret(server, admin, "acme");
    const fractional = await server.graphql(
      ROTATE_SECRET,
      { input: { id: secret.id, gracePeriodSeconds: 1.5 } },
      admin,
    );
    expect(errorCode(fractional)).toBe("BAD_USER_INPUT");
    const malformed = await server.graphql(ROTATE_SECRET, { input: { id: "1 OR 1=1" } }, admin);
    expect(errorCode(malformed)).toBe("BAD_USER_INPUT");
  });

  it("answers NOT_FOUND for an id that does not exist", async () => {
    const body = await server.graphql(ROTATE_SECRET, { input: { id: "00000000-0000-4000-8000-000000000000" } }, admin);
    expect(errorCode(body)).toBe("NOT_FOUND");
  });

  it("refuses to rotate a revoked secret with CONFLICT", async () => {
    const secret = await createSecret(server, admin, "acme");
    await server.graphql(REVOKE_SECRET, { input: { id: secret.id } }, admin);
    const body = await server.graphql(ROTATE_SECRET, { input: { id: secret.id } }, admin);
    expect(errorCode(body)).toBe("CONFLICT");
    expect(body.errors?.[0]?.message).toMatch(/revoked/);
  });

  it("audits each rotation with the key ids and grace period, never a secret", async () => {
    const original = await createSecret(server, admin, "acme");
    const rotated = await rotateSecret(server, admin, original.id, 60);
    const events = await server.db.dataSource.manager.find(AuditEvent, {
      where: { secretId: original.id },
      order: { occurredAt: "ASC" },
    });
    expect(events.map((e) => e.action)).toEqual(["secret.created", "secret.rotated"]);
    expect(JSON.parse(events[1]?.details ?? "{}")).toMatchObject({
      keyId: rotated.keyId,
      previousKeyId: original.keyId,
      gracePeriodSeconds: 60,
    });
    expect(JSON.stringify(events)).not.toContain(original.secret);
    expect(JSON.stringify(events)).not.toContain(rotated.secret);
  });

  describe("when 20 immediate rotations of one secret race", () => {
    it("serialises them: exactly one credential verifies and no Key ID is issued twice", async () => {
      const original = await createSecret(server, admin, "acme");
      const results = await Promise.all(
        Array.from({ length: 20 }, () => server.graphql(ROTATE_SECRET, { input: { id: original.id } }, admin)),
      );
      expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
      const issued = [original, ...results.map((r) => r.data?.rotateSecret.credentials)];
      expect(new Set(issued.map((c) => c.keyId)).size).toBe(21);

      const statuses = await Promise.all(issued.map((c) => verifyStatus(server, c.keyId, c.secret)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);

      const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, admin);
      const listed = list.data?.apiSecrets.find((s: { id: string }) => s.id === original.id);
      const winner = issued[statuses.indexOf(200)];
      expect(listed.currentKeyId).toBe(winner?.keyId);
      expect(listed.credentials).toEqual([expect.objectContaining({ keyId: winner?.keyId, status: "ACTIVE" })]);
    });
  });
});
