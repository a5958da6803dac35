import { CredentialFormat } from "@keyturn/shared";
import { afterEach, beforeEach, expect, it, jest } from "@jest/globals";
import pino from "pino";
import { UpdateQueryBuilder } from "typeorm";
import { describeEachDatabase, type TestDatabase } from "../../test/support/databases";
import { ApiSecret } from "../api-secrets/api-secret.entity";
import { ApiSecretService, type IssuedSecret } from "../api-secrets/api-secret.service";
import { Credential } from "../api-secrets/credential.entity";
import type { Actor } from "../auth/actor";
import { Principal } from "../auth/principal";
import { parseDatabaseUrl } from "../config";
import { Database } from "../database/database";
import { LastUsedRecorder } from "./last-used-recorder";
import { SecretHasher } from "./secret-hasher";

const admin: Actor = {
  principal: new Principal("alice@example.com", new Map([["shop", "admin"]])),
  ip: null,
  userAgent: null,
};
const T0 = Date.parse("2031-06-01T12:00:00.000Z");

describeEachDatabase("LastUsedRecorder", (createDatabase) => {
  let database: TestDatabase;
  let db: Database;
  let secrets: IssuedSecret[];

  beforeEach(async () => {
    database = await createDatabase();
    db = await Database.open(parseDatabaseUrl(database.url, "/unused"));
    const service = new ApiSecretService(db, new CredentialFormat(), new SecretHasher("pepper-0123456789abcdef"), {
      maxActivePerProject: 1000,
    });
    secrets = [];
    for (let i = 0; i < 30; i++) secrets.push(await service.create(admin, { projectId: "shop" }));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await db.close();
    await database.drop();
  });

  const lastUsed = async (entity: typeof Credential | typeof ApiSecret, where: Record<string, string>) =>
    (await db.execute((manager) => manager.findOneByOrFail(entity, where))).lastUsedAt?.getTime() ?? null;

  it("writes each credential's and secret's latest use, to the second, in one UPDATE per table per second", async () => {
    const recorder = new LastUsedRecorder(db, pino({ level: "silent" }));
    const updates = jest.spyOn(UpdateQueryBuilder.prototype, "execute");
    // 30 credentials used across two seconds; the first one used again later, in the second second.
    secrets.forEach(({ apiSecret, credentials }, i) => {
      recorder.record(credentials.keyId, apiSecret.id, T0 + (i < 15 ? 120 : 1_450));
    });
    recorder.record(secrets[0]!.credentials.keyId, secrets[0]!.apiSecret.id, T0 + 1_999);
    await recorder.flush();

    expect(updates).toHaveBeenCalledTimes(4);
    for (const [i, { apiSecret, credentials }] of secrets.entries()) {
      const expected = i > 0 && i < 15 ? T0 : T0 + 1_000;
      expect(await lastUsed(Credential, { keyId: credentials.keyId })).toBe(expected);
      expect(await lastUsed(ApiSecret, { id: apiSecret.id })).toBe(expected);
    }
  });

  it("never moves a last-used time back", async () => {
    const recorder = new LastUsedRecorder(db, pino({ level: "silent" }), { resolutionMs: 0 });
    const { apiSecret, credentials } = secrets[0]!;
    recorder.record(credentials.keyId, apiSecret.id, T0 + 5_000);
    await recorder.flush();
    recorder.record(credentials.keyId, apiSecret.id, T0 + 2_000);
    await recorder.flush();
    expect(await lastUsed(Credential, { keyId: credentials.keyId })).toBe(T0 + 5_000);
    expect(await lastUsed(ApiSecret, { id: apiSecret.id })).toBe(T0 + 5_000);
  });
});
