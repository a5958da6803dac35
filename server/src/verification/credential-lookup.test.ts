import { CredentialFormat } from "@keyturn/shared";
import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { describeEachDatabase, type TestDatabase } from "../../test/support/databases";
import { ApiSecretService } from "../api-secrets/api-secret.service";
import type { Actor } from "../auth/actor";
import { Principal } from "../auth/principal";
import { parseDatabaseUrl } from "../config";
import { Database } from "../database/database";
import { createCredentialLookup, expiryMs } from "./credential-lookup";
import { SecretHasher, storedDigest } from "./secret-hasher";

const format = new CredentialFormat();
const hasher = new SecretHasher("server-side-pepper-0123456789abcdefghij");
const admin: Actor = {
  principal: new Principal("alice@example.com", new Map([["shop", "admin"]])),
  ip: null,
  userAgent: null,
};
const NOW = new Date("2031-06-01T12:00:00.000Z");

describeEachDatabase("createCredentialLookup", (createDatabase) => {
  let database: TestDatabase;
  let db: Database;
  let service: ApiSecretService;

  beforeEach(async () => {
    database = await createDatabase();
    db = await Database.open(parseDatabaseUrl(database.url, "/unused"));
    service = new ApiSecretService(db, format, hasher, { maxActivePerProject: 100, now: () => NOW });
  });

  afterEach(async () => {
    await db.close();
    await database.drop();
  });

  it("answers lookups asked for in one turn with one statement per 32 Key IDs, each with its own credential", async () => {
    const issued = [];
    for (let i = 0; i < 40; i++) issued.push(await service.create(admin, { projectId: "shop" }));
    const reads = jest.spyOn(db, "read");
    const lookup = createCredentialLookup(db);

    const unknown = format.generate().keyId;
    const asked = [...issued.map((created) => created.credentials.keyId), unknown, issued[0]!.credentials.keyId];
    const found = await Promise.all(asked.map((keyId) => lookup(keyId)));

    // 41 distinct Key IDs: 32 in one statement, 9 padded to 16 in the other.
    expect(reads.mock.calls.map(([, params]) => params.length)).toEqual([32, 16]);
    for (const [i, created] of issued.entries()) {
      // Strict: a row carries innerHash (undefined), as a cache entry does, so the verifier reads
      // one shape.
      expect(found[i]).toStrictEqual({
        secretId: created.apiSecret.id,
        projectId: "shop",
        secretHash: storedDigest(hasher.hash(created.credentials.secret)),
        innerHash: undefined,
        expiresAtMs: null,
        revoked: false,
      });
    }
    expect(found[40]).toBeNull();
    expect(found[41]).toEqual(found[0]);
  });

  it("reads what a rotation with a grace period and a revocation left behind", async () => {
    const rotated = await service.create(admin, { projectId: "shop" });
    const next = await service.rotate(admin, { id: rotated.apiSecret.id, gracePeriodSeconds: 3600 });
    const revoked = await service.create(admin, { projectId: "shop" });
    await service.revoke(admin, { id: revoked.apiSecret.id });
    const lookup = createCredentialLookup(db);

    const [previous, current, gone] = await Promise.all(
      [rotated.credentials.keyId, next.credentials.keyId, revoked.credentials.keyId].map((keyId) => lookup(keyId)),
    );
    expect(previous).toMatchObject({ expiresAtMs: NOW.getTime() + 3600_000, revoked: false });
    expect(current).toMatchObject({ secretId: rotated.apiSecret.id, expiresAtMs: null, revoked: false });
    expect(gone).toMatchObject({ secretId: revoked.apiSecret.id, revoked: true });
  });

  it("refuses what a change has ended: replaced twice, replaced without a grace period, revoked", async () => {
    const twice = await service.create(admin, { projectId: "shop" });
    const second = await service.rotate(admin, { id: twice.apiSecret.id, gracePeriodSeconds: 3600 });
    const third = await service.rotate(admin, { id: twice.apiSecret.id, gracePeriodSeconds: 3600 });
    const abrupt = await service.create(admin, { projectId: "shop" });
    await service.rotate(admin, { id: abrupt.apiSecret.id, gracePeriodSeconds: 0 });
    const revoked = await service.create(admin, { projectId: "shop" });
    const inGrace = await service.rotate(admin, { id: revoked.apiSecret.id, gracePeriodSeconds: 3600 });
    await service.revoke(admin, { id: revoked.apiSecret.id });
    const lookup = createCredentialLookup(db);

    const found = await Promise.all(
      [
        twice.credentials.keyId,
        second.credentials.keyId,
        third.credentials.keyId,
        abrupt.credentials.keyId,
        revoked.credentials.keyId,
        inGrace.credentials.keyId,
      ].map((keyId) => lookup(keyId)),
    );
    expect(found.map((credential) => [credential?.revoked, credential?.expiresAtMs])).toEqual([
      [true, NOW.getTime() + 3600_000], // revoked by the second rotation, though its grace period would run on
      [false, NOW.getTime() + 3600_000], // the previous one
      [false, null], // the current one
      [true, null], // replaced without a grace period
      [true, NOW.getTime() + 3600_000], // the previous one of a revoked secret: revoked wins
      [true, null], // the current one of a revoked secret
    ]);
  });

  it("sends lookups of separate turns separately, and a failed statement fails only its own lookups", async () => {
    const created = await service.create(admin, { projectId: "shop" });
    const lookup = createCredentialLookup(db);
    const reads = jest.spyOn(db, "read");

    expect(await lookup(created.credentials.keyId)).not.toBeNull();
    expect(await lookup(created.credentials.keyId)).not.toBeNull();
    expect(reads).toHaveBeenCalledTimes(2);

    reads.mockRejectedValueOnce(new Error("connection lost"));
    const failed = [lookup(created.credentials.keyId), lookup(format.generate().keyId)];
    await expect(Promise.all(failed)).rejects.toThrow("connection lost");
    await expect(Promise.allSettled(failed)).resolves.toEqual([
      { status: "rejected", reason: expect.any(Error) },
      { status: "rejected", reason: expect.any(Error) },
    ]);
    expect(await lookup(created.credentials.keyId)).toMatchObject({ secretId: created.apiSecret.id });
  });
});

describe("expiryMs", () => {
  it.each([
    ["no end", null, null],
    ["a Date (mysql2)", new Date("2031-06-01T12:00:00.123Z"), Date.parse("2031-06-01T12:00:00.123Z")],
    ["UTC text (SQLite)", "2031-06-01 12:00:00.123", Date.parse("2031-06-01T12:00:00.123Z")],
    ["an invalid Date (MariaDB's zero date)", new Date(NaN), 0],
    ["text that is no date", "not a date", 0],
  ])("reads %s", (_label, value, ms) => {
    expect(expiryMs(value)).toBe(ms);
  });
});
