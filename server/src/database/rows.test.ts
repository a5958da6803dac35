import type { Duplex } from "node:stream";
import { afterEach, beforeEach, expect, it } from "@jest/globals";
import { QueryFailedError } from "typeorm";
import { describeEachDatabase, itOnMysql, type TestDatabase } from "../../test/support/databases";
import { ApiSecret } from "../api-secrets/api-secret.entity";
import { Credential } from "../api-secrets/credential.entity";
import { AuditAction, AuditEvent } from "../audit/audit-event.entity";
import { parseDatabaseUrl } from "../config";
import { Database } from "./database";
import { runnerConnection } from "./prepared";
import { insertRow, selectRows, updateRow } from "./rows";

describeEachDatabase("insertRow, updateRow and selectRows", (createDatabase, dialect) => {
  let database: TestDatabase;
  let db: Database;

  beforeEach(async () => {
    database = await createDatabase();
    db = await Database.open(parseDatabaseUrl(database.url, "/unused"));
  });

  afterEach(async () => {
    await db.close();
    await database.drop();
  });

  const secret = (id: string): ApiSecret =>
    db.dataSource.manager.create(ApiSecret, {
      id,
      projectId: "project-1",
      name: "Reporting 'prod'",
      createdAt: new Date("2026-11-27T10:11:12.345Z"),
      createdBy: "admin@example.com",
      rotatedAt: new Date("2026-11-28T00:00:00.001Z"),
      revokedAt: null,
      revokedBy: null,
      credentialsRevoked: false,
      currentKeyId: "ktk_abc",
      secretHint: "ktsk_…x9Qa",
      previousKeyId: null,
      previousExpiresAt: null,
      lastUsedAt: null,
    });

  const stored = async (table: string, id: string) => {
    const [row] = await db.dataSource.query<Array<Record<string, unknown>>>(`SELECT * FROM ${table} WHERE id = ?`, [
      id,
    ]);
    return row;
  };

  it("stores exactly what manager.insert stores: dates to the millisecond, nulls, quotes, an ellipsis", async () => {
    await db.dataSource.manager.insert(ApiSecret, secret("00000000-0000-4000-8000-000000000001"));
    await insertRow(db.dataSource.manager, ApiSecret, secret("00000000-0000-4000-8000-000000000002"));
    // In a transaction, MySQL takes the prepared-statement path (binary protocol): the same row.
    await db.transaction((manager) => insertRow(manager, ApiSecret, secret("00000000-0000-4000-8000-000000000009")));

    const viaInsert = await stored("api_secret", "00000000-0000-4000-8000-000000000001");
    const viaInsertRow = await stored("api_secret", "00000000-0000-4000-8000-000000000002");
    expect(viaInsertRow).toEqual({ ...viaInsert, id: "00000000-0000-4000-8000-000000000002" });
    const viaTransaction = await stored("api_secret", "00000000-0000-4000-8000-000000000009");
    expect(viaTransaction).toEqual({ ...viaInsert, id: "00000000-0000-4000-8000-000000000009" });
    const read = await db.dataSource.manager.findOneByOrFail(ApiSecret, { id: "00000000-0000-4000-8000-000000000002" });
    expect(read).toMatchObject({
      projectId: "project-1",
      name: "Reporting 'prod'",
      revokedAt: null,
      secretHint: "ktsk_…x9Qa",
    });
    expect(read.createdAt.toISOString()).toBe("2026-11-27T10:11:12.345Z");
    expect(read.rotatedAt?.toISOString()).toBe("2026-11-28T00:00:00.001Z");
  });

  it("writes inside the caller's transaction, so a rollback takes the row with it", async () => {
    const failed = db.transaction(async (manager) => {
      await insertRow(manager, ApiSecret, secret("00000000-0000-4000-8000-000000000003"));
      throw new Error("the change failed after its insert");
    });
    await expect(failed).rejects.toThrow("the change failed after its insert");
    expect(await stored("api_secret", "00000000-0000-4000-8000-000000000003")).toBeUndefined();
  });

  it("refuses a row that leaves a column out, rather than letting the database fill it", async () => {
    const event = db.dataSource.manager.create(AuditEvent, {
      id: "00000000-0000-4000-8000-000000000004",
      projectId: "p",
      secretId: "s",
      action: AuditAction.SECRET_CREATED,
      actor: "admin@example.com",
      ip: null,
      occurredAt: new Date(),
      details: "{}",
    });
    await expect(insertRow(db.dataSource.manager, AuditEvent, event)).rejects.toThrow(
      "AuditEvent.userAgent has no value",
    );
    expect(await stored("audit_event", "00000000-0000-4000-8000-000000000004")).toBeUndefined();
  });

  it("updates exactly as manager.update does, and only the row with that id", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000005", "00000000-0000-4000-8000-000000000006"]) {
      await insertRow(db.dataSource.manager, ApiSecret, secret(id));
    }
    await insertRow(db.dataSource.manager, ApiSecret, secret("00000000-0000-4000-8000-000000000007"));
    const changes = {
      revokedAt: new Date("2026-11-29T01:02:03.456Z"),
      revokedBy: "other@example.com",
      credentialsRevoked: true,
      rotatedAt: null,
    };
    await db.dataSource.manager.update(ApiSecret, "00000000-0000-4000-8000-000000000005", changes);
    await db.transaction((manager) => updateRow(manager, ApiSecret, "00000000-0000-4000-8000-000000000006", changes));

    const viaUpdate = await stored("api_secret", "00000000-0000-4000-8000-000000000005");
    const viaUpdateRow = await stored("api_secret", "00000000-0000-4000-8000-000000000006");
    expect(viaUpdateRow).toEqual({ ...viaUpdate, id: "00000000-0000-4000-8000-000000000006" });
    const read = await db.dataSource.manager.findOneByOrFail(ApiSecret, { id: "00000000-0000-4000-8000-000000000006" });
    expect(read.revokedAt?.toISOString()).toBe("2026-11-29T01:02:03.456Z");
    expect(read.rotatedAt).toBeNull();
    const untouched = await db.dataSource.manager.findOneByOrFail(ApiSecret, {
      id: "00000000-0000-4000-8000-000000000007",
    });
    expect(untouched.revokedAt).toBeNull();
    expect(untouched.rotatedAt?.toISOString()).toBe("2026-11-28T00:00:00.001Z");
  });

  it("refuses a change to a property that is not a column, and an undefined value", async () => {
    await insertRow(db.dataSource.manager, ApiSecret, secret("00000000-0000-4000-8000-000000000008"));
    const id = "00000000-0000-4000-8000-000000000008";
    await expect(updateRow(db.dataSource.manager, ApiSecret, id, { credentials: [] })).rejects.toThrow(
      "updateRow: ApiSecret has no column credentials",
    );
    await expect(updateRow(db.dataSource.manager, ApiSecret, id, { revokedBy: undefined })).rejects.toThrow(
      "ApiSecret.revokedBy has no value",
    );
    expect((await stored("api_secret", id))?.revoked_by).toBeNull();
  });

  it("runs a transaction's statements as prepared statements on MySQL, each parsed once per connection", async () => {
    const counted = await db.transaction(async (manager) => {
      const status = async () => {
        if (db.dialect !== "mysql") return { prepared: 0, executed: 0 };
        const rows = await manager.query<Array<{ Variable_name: string; Value: string }>>(
          "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')",
        );
        const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? NaN);
        return { prepared: value("Com_stmt_prepare"), executed: value("Com_stmt_execute") };
      };
      const before = await status();
      await insertRow(manager, ApiSecret, secret("00000000-0000-4000-8000-000000000010"));
      await insertRow(manager, ApiSecret, secret("00000000-0000-4000-8000-000000000013"));
      await updateRow(manager, ApiSecret, "00000000-0000-4000-8000-000000000010", { revokedBy: "a@example.com" });
      const after = await status();
      return { prepared: after.prepared - before.prepared, executed: after.executed - before.executed };
    });
    if (db.dialect === "mysql") expect(counted).toEqual({ prepared: 2, executed: 3 });
    expect((await stored("api_secret", "00000000-0000-4000-8000-000000000010"))?.revoked_by).toBe("a@example.com");
    expect(await stored("api_secret", "00000000-0000-4000-8000-000000000013")).toBeDefined();
  });

  it("reports a failed statement as TypeORM does, with the driver's error, and rolls the change back", async () => {
    const id = "00000000-0000-4000-8000-000000000011";
    await insertRow(db.dataSource.manager, ApiSecret, secret(id));
    const failed = db.transaction(async (manager) => {
      await insertRow(manager, ApiSecret, secret("00000000-0000-4000-8000-000000000012"));
      await insertRow(manager, ApiSecret, secret(id));
    });
    const error = await failed.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(QueryFailedError);
    const driverError = (error as QueryFailedError & { driverError: { code?: string; errno?: number } }).driverError;
    if (db.dialect === "mysql") expect(driverError).toMatchObject({ code: "ER_DUP_ENTRY", errno: 1062 });
    else expect(driverError.code).toBe("SQLITE_CONSTRAINT_PRIMARYKEY");
    expect(await stored("api_secret", "00000000-0000-4000-8000-000000000012")).toBeUndefined();
  });

  const credential = (id: string, generation: number, lastUsedAt: Date | null): Credential =>
    db.dataSource.manager.create(Credential, {
      id,
      secretId: "00000000-0000-4000-8000-000000000020",
      projectId: "p",
      generation,
      keyId: `ktid_${generation}`,
      secretHash: "ab".repeat(32),
      hint: "ktsk_…x9Qa",
      createdAt: new Date("2026-11-27T10:11:12.345Z"),
      expiresAt: generation === 1 ? new Date("2026-11-28T10:11:12.345Z") : null,
      revokedAt: null,
      lastUsedAt,
    });

  it("reads entities exactly as TypeORM's find does, converting each parameter as its column", async () => {
    await insertRow(db.dataSource.manager, ApiSecret, secret("00000000-0000-4000-8000-000000000020"));
    await insertRow(db.dataSource.manager, Credential, credential("00000000-0000-4000-8000-000000000021", 1, null));
    const used = new Date("2026-11-30T12:00:00.500Z");
    await insertRow(db.dataSource.manager, Credential, credential("00000000-0000-4000-8000-000000000022", 2, used));
    const notUsedSince = (at: Date) => ({
      where: "secret_id = :secretId AND (last_used_at IS NULL OR last_used_at > :lastUsedAt)",
      params: { secretId: "00000000-0000-4000-8000-000000000020", lastUsedAt: at },
    });
    const byGeneration = (rows: Credential[]) => [...rows].sort((a, b) => a.generation - b.generation);

    const found = await db.dataSource.manager.findBy(Credential, { secretId: "00000000-0000-4000-8000-000000000020" });
    // Outside a transaction (TypeORM's query), and locked inside one (on MySQL a prepared statement).
    const before = notUsedSince(new Date("2026-11-30T12:00:00.499Z"));
    const outside = await selectRows(db.dataSource.manager, Credential, { where: before.where }, before.params);
    const inside = await db.transaction((manager) =>
      selectRows(manager, Credential, { where: before.where, forUpdate: true }, before.params),
    );
    expect(byGeneration(outside)).toEqual(byGeneration(found));
    expect(byGeneration(inside)).toEqual(byGeneration(found));
    expect(inside[0]).toBeInstanceOf(Credential);
    expect(byGeneration(inside)[1]?.lastUsedAt?.toISOString()).toBe("2026-11-30T12:00:00.500Z");
    // The date parameter is compared to the millisecond: at that very time only one is left.
    const after = notUsedSince(used);
    const left = await db.transaction((manager) =>
      selectRows(manager, Credential, { where: after.where, forUpdate: true }, after.params),
    );
    expect(left.map((row) => row.generation)).toEqual([1]);

    const [read] = await selectRows(
      db.dataSource.manager,
      ApiSecret,
      { where: "id = :id" },
      {
        id: "00000000-0000-4000-8000-000000000020",
      },
    );
    expect(read).toEqual(
      await db.dataSource.manager.findOneByOrFail(ApiSecret, { id: "00000000-0000-4000-8000-000000000020" }),
    );
  });

  it("refuses a placeholder that names no column", async () => {
    await expect(
      selectRows(db.dataSource.manager, ApiSecret, { where: "id = :secretId" }, { id: "x" }),
    ).rejects.toThrow("selectRows: ApiSecret has no column secretId");
  });

  it("locks what it reads with forUpdate until the transaction ends (MySQL)", async () => {
    const id = "00000000-0000-4000-8000-000000000023";
    await insertRow(db.dataSource.manager, ApiSecret, secret(id));
    let released = 0;
    const holder = db.transaction(async (manager) => {
      await selectRows(manager, ApiSecret, { where: "id = :id", forUpdate: true }, { id });
      await new Promise((resolve) => setTimeout(resolve, 700));
      released = Date.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await db.transaction((manager) => updateRow(manager, ApiSecret, id, { revokedBy: "waited@example.com" }));
    const updated = Date.now();
    await holder;
    // On SQLite the serialised transactions give the same order without a row lock.
    expect(released).toBeGreaterThan(0);
    expect(updated).toBeGreaterThanOrEqual(released);
    expect((await stored("api_secret", id))?.revoked_by).toBe("waited@example.com");
  });

  itOnMysql(dialect)("holds a MySQL transaction's writes until the end of the turn, then sends them", async () => {
    const corked: number[] = [];
    await db.transaction(async (manager) => {
      const stream = (runnerConnection(manager.queryRunner!) as unknown as { stream?: Duplex } | undefined)?.stream;
      const inserted = insertRow(manager, ApiSecret, secret("00000000-0000-4000-8000-000000000024"));
      corked.push(stream?.writableCorked ?? 0);
      await inserted;
      corked.push(stream?.writableCorked ?? 0);
      await new Promise((resolve) => setImmediate(resolve));
      corked.push(stream?.writableCorked ?? 0);
    });
    // Corked as the statement is issued, uncorked by the time its answer arrives, never left corked.
    expect(corked).toEqual([1, 0, 0]);
    expect(await stored("api_secret", "00000000-0000-4000-8000-000000000024")).toBeDefined();
  });
});
