import { afterEach, beforeEach, expect, it } from "@jest/globals";
import { describeEachDatabase, itOnMysql, type TestDatabase } from "../../test/support/databases";
import { parseDatabaseUrl } from "../config";
import { ApiSecret } from "../api-secrets/api-secret.entity";
import { Database } from "./database";

const TABLES = ["project", "api_secret", "credential", "audit_event"];

describeEachDatabase("Database", (createDatabase, dialect) => {
  let database: TestDatabase;
  const opened: Database[] = [];

  async function open(): Promise<Database> {
    const db = await Database.open(parseDatabaseUrl(database.url, "/unused"));
    opened.push(db);
    return db;
  }

  beforeEach(async () => {
    database = await createDatabase();
  });

  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
    await database.drop();
  });

  async function tables(db: Database): Promise<string[]> {
    const runner = db.dataSource.createQueryRunner();
    try {
      const present = await Promise.all(TABLES.map(async (table) => ((await runner.hasTable(table)) ? table : null)));
      return present.filter((t): t is string => t !== null);
    } finally {
      await runner.release();
    }
  }

  it("creates the schema from migrations when it opens, leaving none pending", async () => {
    const db = await open();
    expect(await tables(db)).toEqual(TABLES);
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it("reverts every migration and applies them again", async () => {
    const db = await open();
    for (let i = 0; i < db.dataSource.migrations.length; i++) await db.dataSource.undoLastMigration();
    expect(await tables(db)).toEqual([]);
    await db.dataSource.runMigrations();
    expect(await tables(db)).toEqual(TABLES);
  });

  async function liveCredentialIndexes(db: Database): Promise<number> {
    const runner = db.dataSource.createQueryRunner();
    try {
      const credential = await runner.getTable("credential");
      return credential?.indices.filter((index) => index.name === "idx_credential_live").length ?? 0;
    } finally {
      await runner.release();
    }
  }

  it("adds the live-credentials index even where a stopped start had already built it (a later one drops it)", async () => {
    const db = await open();
    // Back to the first migration only, the schema the index migration found.
    for (let i = 1; i < db.dataSource.migrations.length; i++) await db.dataSource.undoLastMigration();
    // As if a start had created the index and stopped before recording the migration (MySQL commits DDL at once).
    await db.dataSource.query("CREATE INDEX idx_credential_live ON credential (secret_id, revoked_at, expires_at)");
    // It runs again over the index, and the last migration drops it.
    await db.dataSource.runMigrations();
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await liveCredentialIndexes(db)).toBe(0);
  });

  it("drops the live-credentials index even where a stopped start had already dropped it, and puts it back", async () => {
    const db = await open();
    expect(await liveCredentialIndexes(db)).toBe(0);
    await db.dataSource.undoLastMigration();
    expect(await liveCredentialIndexes(db)).toBe(1);
    // As if a start had dropped the index and stopped before recording the migration.
    await db.dataSource.query(
      db.dialect === "mysql" ? "DROP INDEX idx_credential_live ON credential" : "DROP INDEX idx_credential_live",
    );
    await db.dataSource.runMigrations();
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await liveCredentialIndexes(db)).toBe(0);
  });

  it("leaves the entities and the migrated schema in agreement", async () => {
    let db = await open();
    if (db.dialect === "mysql") {
      // TypeORM reads MariaDB's catalogue only in "mariadb" mode: compare under the server's real name.
      const [{ version }] = await db.dataSource.query("SELECT VERSION() AS version");
      const scheme = /mariadb/i.test(version) ? "mariadb:" : "mysql:";
      db = await Database.open(parseDatabaseUrl(database.url.replace(/^\w+:/, scheme), "/unused"));
      opened.push(db);
    }
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it("keeps timestamps to the millisecond", async () => {
    const db = await open();
    const at = new Date("2026-11-27T10:11:12.345Z");
    await db.dataSource.manager.insert(ApiSecret, {
      id: "6f1c9d1e-0000-4000-8000-000000000001",
      projectId: "p",
      name: "n",
      createdAt: at,
      createdBy: "me",
      currentKeyId: "k",
      secretHint: "h",
    });
    const row = await db.dataSource.manager.findOneByOrFail(ApiSecret, { id: "6f1c9d1e-0000-4000-8000-000000000001" });
    expect(row.createdAt.toISOString()).toBe(at.toISOString());
  });

  itOnMysql(dialect)("migrates with a pool of one connection (the migration lock's connection runs them)", async () => {
    const db = await Database.open(parseDatabaseUrl(database.url, "/unused"), { poolSize: 1, acquireTimeoutMs: 5_000 });
    opened.push(db);
    expect(await tables(db)).toEqual(TABLES);
    expect(await db.dataSource.showMigrations()).toBe(false);
  });

  it("lets instances that start together migrate once", async () => {
    const results = await Promise.allSettled([open(), open(), open()]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const [db] = opened;
    const applied = await db!.dataSource.query("SELECT name FROM migrations");
    expect(applied).toHaveLength(db!.dataSource.migrations.length);
  });

  it("runs transactions one at a time on SQLite and concurrently-but-safely on MySQL", async () => {
    const db = await open();
    const order: string[] = [];
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        db.transaction(async (manager) => {
          order.push(`${name}:start`);
          await manager.query("SELECT 1");
          order.push(`${name}:end`);
        }),
      ),
    );
    if (db.dialect === "sqlite") expect(order).toEqual(["a:start", "a:end", "b:start", "b:end", "c:start", "c:end"]);
    else expect(order.sort()).toEqual(["a:end", "a:start", "b:end", "b:start", "c:end", "c:start"]);
  });

  it("refuses nested work on SQLite instead of waiting for itself forever", async () => {
    const db = await open();
    const nested = db.transaction(() => db.execute((manager) => manager.query("SELECT 1")));
    if (db.dialect === "sqlite") await expect(nested).rejects.toThrow(/nested/);
    else await expect(nested).resolves.toBeDefined();
    // The queue is still usable afterwards.
    await expect(db.ping()).resolves.toBeUndefined();
  });
});
