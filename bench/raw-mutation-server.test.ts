import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPool, type Pool } from "mysql2";
import type { RowDataPacket } from "mysql2/promise";
import { parseDatabaseUrl } from "../server/src/config";
import { Database } from "../server/src/database/database";
import { connectionOptions, databaseUrl, dropDatabase, queryOne, recreateDatabase } from "./lib/mysql";
import { RAW_CREDENTIAL_FORMAT, RAW_MAX_ACTIVE_PER_PROJECT, rawCreate, rawRotate } from "./raw-mutation-server";

// The raw create and rotation write Keyturn's tables as Keyturn does: they need MariaDB and the migrated schema.
const onMysql = process.env.TEST_MYSQL_URL ? describe : describe.skip;

onMysql("the raw create and rotation (the mutations' floors in npm run bench)", () => {
  const name = `keyturn_test_raw_${randomBytes(4).toString("hex")}`;
  const pepper = randomBytes(32);
  let pool: Pool;

  const count = async (table: string) =>
    Number((await queryOne<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`, name)).n);

  beforeAll(async () => {
    await recreateDatabase(name);
    const migrated = await Database.open(parseDatabaseUrl(databaseUrl(name), "/unused"));
    await migrated.close();
    pool = createPool({
      ...connectionOptions(databaseUrl(name)),
      connectionLimit: 2,
      timezone: "Z",
    });
  });

  afterAll(async () => {
    await new Promise((done) => pool.end(done));
    await dropDatabase(name);
  });

  it("writes the rows of a create: the project's slot, the secret, its credential and the audit event", async () => {
    const create = rawCreate(pool, pepper);
    const first = await create("raw-project", "raw@example.com");
    const second = await create("raw-project", "raw@example.com");

    const project = await queryOne<RowDataPacket>(
      "SELECT active_secret_count, created_secret_count FROM project WHERE id = 'raw-project'",
      name,
    );
    expect(project).toMatchObject({ active_secret_count: 2, created_secret_count: 2 });
    const secret = await queryOne<RowDataPacket>(
      `SELECT s.name, s.current_key_id, c.key_id, c.secret_hash, c.generation
       FROM api_secret s JOIN credential c ON c.secret_id = s.id WHERE s.id = '${second.secretId}'`,
      name,
    );
    expect(secret).toEqual({
      name: "Secret 2",
      current_key_id: second.keyId,
      key_id: second.keyId,
      secret_hash: createHmac("sha256", pepper).update(second.secret).digest("hex"),
      generation: 1,
    });
    expect(first.keyId).not.toBe(second.keyId);
    // Keyturn's shape under the raw prefixes: run.ts counts Keyturn's Key IDs by leaving these out.
    expect(RAW_CREDENTIAL_FORMAT.parse(second.keyId, second.secret)).toEqual({
      keyId: second.keyId,
      secret: second.secret,
    });
    expect(second.keyId.startsWith(`${RAW_CREDENTIAL_FORMAT.prefixes.keyId}_`)).toBe(true);
    expect(await count("audit_event WHERE action = 'SECRET_CREATED' AND project_id = 'raw-project'")).toBe(2);
  });

  it("writes nothing when the project has no free slot", async () => {
    const create = rawCreate(pool, pepper);
    await create("full-project", "raw@example.com");
    await queryOne(
      `UPDATE project SET active_secret_count = ${RAW_MAX_ACTIVE_PER_PROJECT} WHERE id = 'full-project'`,
      name,
    );
    const before = await Promise.all(["api_secret", "credential", "audit_event"].map(count));

    await expect(create("full-project", "raw@example.com")).rejects.toThrow("no free slot");

    expect(await Promise.all(["api_secret", "credential", "audit_event"].map(count))).toEqual(before);
    const project = await queryOne<RowDataPacket>(
      "SELECT created_secret_count FROM project WHERE id = 'full-project'",
      name,
    );
    expect(project.created_secret_count).toBe(1);
  });

  it("rotates through Keyturn's procedure: the new credential is current, the old one named nowhere, an audit event", async () => {
    const created = await rawCreate(pool, pepper)("rotate-project", "raw@example.com");
    const rotated = await rawRotate(pool, pepper)(created.secretId, "rotate-project", "raw@example.com");

    const generation = (n: number) =>
      queryOne<RowDataPacket>(
        `SELECT key_id, secret_hash FROM credential WHERE secret_id = '${created.secretId}' AND generation = ${n}`,
        name,
      );
    expect(await generation(1)).toMatchObject({ key_id: created.keyId });
    expect(await generation(2)).toEqual({
      key_id: rotated.keyId,
      secret_hash: createHmac("sha256", pepper).update(rotated.secret).digest("hex"),
    });
    // Without a grace period the replaced credential is not the previous one: it has ended.
    const secret = await queryOne<RowDataPacket>(
      `SELECT current_key_id, previous_key_id FROM api_secret WHERE id = '${created.secretId}'`,
      name,
    );
    expect(secret).toEqual({ current_key_id: rotated.keyId, previous_key_id: null });
    expect(rotated.keyId.startsWith(`${RAW_CREDENTIAL_FORMAT.prefixes.keyId}_`)).toBe(true);
    expect(await count(`audit_event WHERE action = 'secret.rotated' AND secret_id = '${created.secretId}'`)).toBe(1);
  });

  it("writes nothing when the procedure refuses: a secret of another project", async () => {
    const created = await rawCreate(pool, pepper)("owner-project", "raw@example.com");
    const before = await Promise.all(["api_secret", "credential", "audit_event"].map(count));

    await expect(rawRotate(pool, pepper)(created.secretId, "other-project", "raw@example.com")).rejects.toThrow(
      "answered not-admin",
    );

    expect(await Promise.all(["api_secret", "credential", "audit_event"].map(count))).toEqual(before);
    const secret = await queryOne<RowDataPacket>(
      `SELECT current_key_id FROM api_secret WHERE id = '${created.secretId}'`,
      name,
    );
    expect(secret.current_key_id).toBe(created.keyId);
  });
});
