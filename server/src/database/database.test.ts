import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, expect, it } from "@jest/globals";
import { describeEachDatabase, itOnMysql, type TestDatabase } from "../../test/support/databases";
import { parseDatabaseUrl } from "../config";
import { ApiSecret } from "../api-secrets/api-secret.entity";
import { createCredentialLookup } from "../verification/credential-lookup";
import type { Table } from "typeorm";
import { Database, DatabaseUnavailableError } from "./database";

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

  /** Undoes the applied migrations from the last back to `name`, that one included. */
  async function undoThrough(db: Database, name: string): Promise<void> {
    const applied = await db.dataSource.query<Array<{ name: string }>>("SELECT name FROM migrations ORDER BY id DESC");
    const at = applied.findIndex((migration) => migration.name === name);
    if (at < 0) throw new Error(`Migration ${name} is not applied`);
    for (let i = 0; i <= at; i++) await db.dataSource.undoLastMigration();
  }

  /** Runs the pending migrations up to `name`, that one included, and none after it. */
  async function migrateThrough(db: Database, name: string): Promise<void> {
    const at = db.dataSource.migrations.findIndex((migration) => migration.name === name);
    if (at < 0) throw new Error(`No migration ${name}`);
    await db.dataSource.runMigrations();
    for (let i = db.dataSource.migrations.length - 1; i > at; i--) await db.dataSource.undoLastMigration();
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

  /** A table as TypeORM reads it from the catalogue. */
  async function tableOf(db: Database, name: string): Promise<Table | undefined> {
    const runner = db.dataSource.createQueryRunner();
    try {
      return await runner.getTable(name);
    } finally {
      await runner.release();
    }
  }

  async function liveCredentialIndexes(db: Database): Promise<number> {
    const credential = await tableOf(db, "credential");
    return credential?.indices.filter((index) => index.name === "idx_credential_live").length ?? 0;
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
    // Back to before 1796700000000, which dropped it.
    await undoThrough(db, "LiveCredentialsByGeneration1796700000000");
    expect(await liveCredentialIndexes(db)).toBe(1);
    // As if a start had dropped the index and stopped before recording the migration.
    await db.dataSource.query(
      db.dialect === "mysql" ? "DROP INDEX idx_credential_live ON credential" : "DROP INDEX idx_credential_live",
    );
    await db.dataSource.runMigrations();
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await liveCredentialIndexes(db)).toBe(0);
  });

  /** A datetime as each driver reads it (mysql2: a Date; SQLite: TypeORM's UTC text), in ms. */
  const ms = (value: unknown) =>
    value === null
      ? null
      : value instanceof Date
        ? value.getTime()
        : Date.parse(`${(value as string).replace(" ", "T")}Z`);

  async function columnsOf(db: Database, table: string): Promise<string[]> {
    return (await tableOf(db, table))?.columns.map((column) => column.name) ?? [];
  }

  it("moves each secret's live credentials onto its row, and back, even after a start that stopped", async () => {
    const db = await open();
    await undoThrough(db, "LiveCredentialsOnSecret1796800000000");
    const future = "2126-01-01 00:00:00.500";
    const past = "2026-01-01 00:00:00.000";
    const secret = (id: string, currentKeyId: string, revokedAt: string | null) =>
      db.dataSource.query(
        `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint, revoked_at)
         VALUES (?, 'p', 'n', '${past}', 'me', ?, 'h', ${revokedAt === null ? "NULL" : `'${revokedAt}'`})`,
        [id, currentKeyId],
      );
    const credential = (secretId: string, generation: number, expiresAt: string | null, revokedAt: string | null) =>
      db.dataSource.query(
        `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, expires_at, revoked_at)
         VALUES (?, ?, ?, ?, 'x', 'h', '${past}', ${expiresAt === null ? "NULL" : `'${expiresAt}'`},
                 ${revokedAt === null ? "NULL" : `'${revokedAt}'`})`,
        [`${secretId}-${generation}`, secretId, generation, `${secretId}-key-${generation}`],
      );
    // grace: its second credential is in a grace period; ended: none is; revoked: revoked; lapsed:
    // its first credential's grace period is over, never revoked.
    await secret("grace", "grace-key-3", null);
    await credential("grace", 1, null, past);
    await credential("grace", 2, future, null);
    await credential("grace", 3, null, null);
    await secret("ended", "ended-key-2", null);
    await credential("ended", 1, null, past);
    await credential("ended", 2, null, null);
    await secret("revoked", "revoked-key-2", past);
    await credential("revoked", 1, future, null);
    await credential("revoked", 2, null, past);
    await secret("lapsed", "lapsed-key-2", null);
    await credential("lapsed", 1, past, null);
    await credential("lapsed", 2, null, null);
    const secrets = async () =>
      (
        await db.dataSource.query<Array<{ id: string; previous_key_id: string | null; previous_expires_at: unknown }>>(
          "SELECT id, previous_key_id, previous_expires_at FROM api_secret ORDER BY id",
        )
      ).map((row) => [row.id, row.previous_key_id, ms(row.previous_expires_at)]);
    const moved = [
      ["ended", null, null],
      ["grace", "grace-key-2", ms(future)],
      ["lapsed", "lapsed-key-1", ms(past)],
      ["revoked", null, null],
    ];

    // As if a start had added the first column and stopped (MySQL commits each ALTER at once).
    await db.dataSource.query("ALTER TABLE api_secret ADD previous_key_id VARCHAR(64) NULL");
    await migrateThrough(db, "LiveCredentialsOnSecret1796800000000");
    expect(await secrets()).toEqual(moved);
    expect(await columnsOf(db, "credential")).not.toEqual(expect.arrayContaining(["expires_at"]));
    expect(await columnsOf(db, "credential")).not.toEqual(expect.arrayContaining(["revoked_at"]));
    expect(await columnsOf(db, "api_secret")).not.toEqual(expect.arrayContaining(["sole_key_id"]));

    await undoThrough(db, "LiveCredentialsOnSecret1796800000000");
    const credentials = await db.dataSource.query<Array<{ key_id: string; expires_at: unknown; revoked_at: unknown }>>(
      "SELECT key_id, expires_at, revoked_at FROM credential ORDER BY key_id",
    );
    expect(credentials.map((row) => [row.key_id, ms(row.expires_at), row.revoked_at !== null])).toEqual([
      ["ended-key-1", null, true],
      ["ended-key-2", null, false],
      ["grace-key-1", null, true],
      ["grace-key-2", ms(future), false],
      ["grace-key-3", null, false],
      ["lapsed-key-1", ms(past), false],
      ["lapsed-key-2", null, false],
      ["revoked-key-1", null, true],
      ["revoked-key-2", null, true],
    ]);
    // And a down that stopped after its first column: it runs again, then up again.
    await migrateThrough(db, "LiveCredentialsOnSecret1796800000000");
    await db.dataSource.query("ALTER TABLE credential ADD expires_at DATETIME(3) NULL");
    await undoThrough(db, "LiveCredentialsOnSecret1796800000000");
    expect(await columnsOf(db, "credential")).toEqual(expect.arrayContaining(["expires_at", "revoked_at"]));
    await db.dataSource.runMigrations();
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await secrets()).toEqual(moved);
  });

  // The error each database gives for a second row with the same unique value.
  const DUPLICATE = /Duplicate entry|UNIQUE constraint failed/;

  it("stores the credentials by Key ID, and back by id, keeping both unique and every row", async () => {
    const db = await open();
    // Its rows as they were then: without the columns of migration 1797000000000.
    await undoThrough(db, "CredentialStateOnItsRow1797000000000");
    const keys = async () => {
      const credential = await tableOf(db, "credential");
      return {
        primary: credential?.primaryColumns.map((column) => column.name),
        unique: credential?.indices
          .filter((index) => index.isUnique)
          .map((index) => `${index.name}(${index.columnNames.join(",")})`)
          .sort(),
      };
    };
    const byKeyId = {
      primary: ["key_id"],
      unique: ["uq_credential_id(id)", "uq_credential_secret_generation(secret_id,generation)"],
    };
    const byId = {
      primary: ["id"],
      unique: ["uq_credential_key_id(key_id)", "uq_credential_secret_generation(secret_id,generation)"],
    };
    const insert = (id: string, keyId: string, generation: number) =>
      db.dataSource.query(
        `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at)
         VALUES (?, 's', ?, ?, 'x', 'h', '2026-12-05 00:00:00.000')`,
        [id, generation, keyId],
      );
    await db.dataSource.query(
      `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint)
       VALUES ('s', 'p', 'n', '2026-12-05 00:00:00.000', 'me', 'k2', 'h')`,
    );
    await insert("c1", "k1", 1);
    await insert("c2", "k2", 2);
    const rows = () =>
      db.dataSource.query("SELECT id, key_id, secret_id, generation, secret_hash, hint FROM credential ORDER BY id");
    const stored = [
      { id: "c1", key_id: "k1", secret_id: "s", generation: 1, secret_hash: "x", hint: "h" },
      { id: "c2", key_id: "k2", secret_id: "s", generation: 2, secret_hash: "x", hint: "h" },
    ];
    expect(await keys()).toEqual(byKeyId);

    await undoThrough(db, "CredentialKeyIdPrimaryKey1796900000000");
    expect(await keys()).toEqual(byId);
    expect(await rows()).toEqual(stored);
    await expect(insert("c1", "k3", 3)).rejects.toThrow(DUPLICATE);
    await expect(insert("c3", "k1", 3)).rejects.toThrow(DUPLICATE);

    await migrateThrough(db, "CredentialKeyIdPrimaryKey1796900000000");
    expect(await keys()).toEqual(byKeyId);
    expect(await rows()).toEqual(stored);
    await expect(insert("c1", "k3", 3)).rejects.toThrow(DUPLICATE);
    await expect(insert("c3", "k1", 3)).rejects.toThrow(DUPLICATE);
    // And again over a table already stored by Key ID, as after a start that stopped before
    // recording the migration (MySQL commits DDL at once).
    await db.dataSource.query("DELETE FROM migrations WHERE name = 'CredentialKeyIdPrimaryKey1796900000000'");
    await migrateThrough(db, "CredentialKeyIdPrimaryKey1796900000000");
    expect(await keys()).toEqual(byKeyId);
  });

  it("writes each credential's project and end on its row, as its secret's row says, and takes them off again", async () => {
    const db = await open();
    await undoThrough(db, "CredentialStateOnItsRow1797000000000");
    const future = "2126-01-01 00:00:00.500";
    const past = "2026-01-01 00:00:00.000";
    const revokedAt = "2026-06-01 00:00:00.250";
    const secret = (id: string, generations: number, previous: string | null, revoked: string | null) =>
      db.dataSource.query(
        `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint,
           previous_key_id, previous_expires_at, revoked_at)
         VALUES (?, ?, 'n', '${past}', 'me', ?, 'h', ?, ?, ?)`,
        [
          id,
          `project-${id}`,
          `${id}-${generations}`,
          previous === null ? null : `${id}-${generations - 1}`,
          previous,
          revoked,
        ],
      );
    const credentials = async (id: string, generations: number) => {
      for (let generation = 1; generation <= generations; generation++) {
        await db.dataSource.query(
          `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at)
           VALUES (?, ?, ?, ?, 'x', 'h', '${past}')`,
          [`c-${id}-${generation}`, id, generation, `${id}-${generation}`],
        );
      }
    };
    // grace: its second credential in a grace period; ended: replaced without one; revoked:
    // revoked during a grace period; lapsed: its first credential's grace period over.
    for (const [id, previous, revoked] of [
      ["grace", future, null],
      ["ended", null, null],
      ["revoked", future, revokedAt],
      ["lapsed", past, null],
    ] as const) {
      await secret(id, id === "grace" ? 3 : 2, previous, revoked);
      await credentials(id, id === "grace" ? 3 : 2);
    }
    const stored = async () =>
      (
        await db.dataSource.query<
          Array<{ key_id: string; project_id: string; expires_at: unknown; revoked_at: unknown }>
        >("SELECT key_id, project_id, expires_at, revoked_at FROM credential ORDER BY key_id")
      ).map((row) => [row.key_id, row.project_id, ms(row.expires_at), row.revoked_at === null ? null : "revoked"]);
    const expected = [
      ["ended-1", "project-ended", null, "revoked"],
      ["ended-2", "project-ended", null, null],
      ["grace-1", "project-grace", null, "revoked"],
      ["grace-2", "project-grace", ms(future), null],
      ["grace-3", "project-grace", null, null],
      ["lapsed-1", "project-lapsed", ms(past), null],
      ["lapsed-2", "project-lapsed", null, null],
      ["revoked-1", "project-revoked", ms(future), "revoked"],
      ["revoked-2", "project-revoked", null, "revoked"],
    ];

    // What verification read before: the secret's row joined, a credential live while its secret is
    // not revoked and names it as current, or as previous until previous_expires_at.
    const before = (
      await db.dataSource.query<
        Array<{
          key_id: string;
          revoked_at: unknown;
          current_key_id: string;
          previous_key_id: string | null;
          previous_expires_at: unknown;
        }>
      >(
        `SELECT c.key_id, s.revoked_at, s.current_key_id, s.previous_key_id, s.previous_expires_at
         FROM credential c JOIN api_secret s ON s.id = c.secret_id ORDER BY c.key_id`,
      )
    ).map((row) => {
      const current = row.key_id === row.current_key_id;
      const previous = !current && row.key_id === row.previous_key_id && row.previous_expires_at !== null;
      return [row.revoked_at !== null || !(current || previous), previous ? ms(row.previous_expires_at) : null];
    });

    // As if a start had added the columns and stopped before the fill (MySQL commits the ALTER at
    // once, and gives a NOT NULL column's rows '').
    await db.dataSource.query(
      db.dialect === "mysql"
        ? `ALTER TABLE credential ADD project_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
             ADD expires_at DATETIME(3) NULL, ADD revoked_at DATETIME(3) NULL`
        : "ALTER TABLE credential ADD project_id VARCHAR(128)",
    );
    await db.dataSource.runMigrations();
    expect(await db.dataSource.showMigrations()).toBe(false);
    expect(await stored()).toEqual(expected);
    const [revokedRow] = await db.dataSource.query<Array<{ revoked_at: unknown }>>(
      "SELECT revoked_at FROM credential WHERE key_id = 'revoked-2'",
    );
    expect(ms(revokedRow?.revoked_at)).toBe(ms(revokedAt));
    expect((await tableOf(db, "credential"))?.findColumnByName("project_id")?.isNullable).toBe(false);
    // Verification reads them as it read the join before: the same credentials refused, the same ends.
    const lookup = createCredentialLookup(db);
    const found = await Promise.all(expected.map(([keyId]) => lookup(String(keyId))));
    expect(found.map((credential) => [credential?.revoked, credential?.expiresAtMs])).toEqual(before);

    await undoThrough(db, "CredentialStateOnItsRow1797000000000");
    expect(await columnsOf(db, "credential")).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(project_id|expires_at|revoked_at)$/)]),
    );
    const keyIds = await db.dataSource.query<Array<{ key_id: string }>>(
      "SELECT key_id FROM credential ORDER BY key_id",
    );
    expect(keyIds.map((row) => row.key_id)).toEqual(expected.map(([keyId]) => keyId));
    await db.dataSource.runMigrations();
    expect(await stored()).toEqual(expected);
  });

  it("revokes the credentials of secrets an earlier release revoked, and on MySQL refuses its revocations", async () => {
    const db = await open();
    await undoThrough(db, "RevocationOnCredentials1797100000000");
    const at = "2026-01-01 00:00:00.000";
    const future = "2126-01-01 00:00:00.500";
    // A secret in a grace period: its current credential and the previous one, both live.
    const secret = async (id: string) => {
      await db.dataSource.query(
        `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint,
           previous_key_id, previous_expires_at)
         VALUES (?, 'project', 'n', '${at}', 'me', ?, 'h', ?, '${future}')`,
        [id, `${id}-2`, `${id}-1`],
      );
      for (const [generation, expiresAt] of [
        [1, future],
        [2, null],
      ] as const) {
        await db.dataSource.query(
          `INSERT INTO credential (id, secret_id, project_id, generation, key_id, secret_hash, hint, created_at,
             expires_at)
           VALUES (?, ?, 'project', ?, ?, 'x', 'h', '${at}', ?)`,
          [`c-${id}-${generation}`, id, generation, `${id}-${generation}`, expiresAt],
        );
      }
    };
    // What an instance of an earlier release writes to revoke: the secret's row alone.
    const revokeAsEarlierRelease = (id: string) =>
      db.dataSource.query(`UPDATE api_secret SET revoked_at = '${at}', revoked_by = 'me' WHERE id = ?`, [id]);
    const lookup = createCredentialLookup(db);
    const revoked = async (id: string) =>
      Promise.all([`${id}-1`, `${id}-2`].map(async (keyId) => (await lookup(keyId))?.revoked));

    const marked = async () =>
      (
        await db.dataSource.query<Array<{ id: string; credentials_revoked: unknown }>>(
          "SELECT id, credentials_revoked FROM api_secret ORDER BY id",
        )
      ).map((row) => [row.id, Number(row.credentials_revoked)]);

    await secret("before");
    await revokeAsEarlierRelease("before");
    expect(await revoked("before")).toEqual([false, false]);
    await db.dataSource.runMigrations();
    expect(await revoked("before")).toEqual([true, true]);
    expect(await marked()).toEqual([["before", 1]]);

    await secret("after");
    if (db.dialect === "mysql") {
      await expect(revokeAsEarlierRelease("after")).rejects.toThrow(/chk_api_secret_revocation_on_credentials/);
      expect(await revoked("after")).toEqual([false, false]);
      const [row] = await db.dataSource.query<Array<{ revoked_at: unknown }>>(
        "SELECT revoked_at FROM api_secret WHERE id = 'after'",
      );
      expect(row?.revoked_at).toBeNull();
    }

    await undoThrough(db, "RevocationOnCredentials1797100000000");
    expect(await columnsOf(db, "api_secret")).not.toContain("credentials_revoked");
    // As if a start had added the column and stopped before the rest (MySQL commits the ALTER at once).
    await db.dataSource.query(
      db.dialect === "mysql"
        ? "ALTER TABLE api_secret ADD COLUMN credentials_revoked TINYINT NOT NULL DEFAULT 0"
        : "ALTER TABLE api_secret ADD COLUMN credentials_revoked boolean NOT NULL DEFAULT (0)",
    );
    await revokeAsEarlierRelease("after");
    await db.dataSource.runMigrations();
    expect(await revoked("after")).toEqual([true, true]);
    expect(await marked()).toEqual([
      ["after", 1],
      ["before", 1],
    ]);
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

  it("reports how long each MySQL operation waited for a pooled connection (SQLite has no pool)", async () => {
    const db = await Database.open(parseDatabaseUrl(database.url, "/unused"), { poolSize: 1, acquireTimeoutMs: 5_000 });
    opened.push(db);
    const waits: number[] = [];
    db.observePoolWaits((seconds) => waits.push(seconds));
    // The only connection is held for ≥ 300 ms; the read behind it waits for it.
    const holding = db.transaction(async (manager) => {
      await manager.query("SELECT 1");
      await sleep(300);
    });
    const started = performance.now();
    const behind = db.read("SELECT 1 AS one", []);
    await Promise.all([holding, behind]);
    const waitedMs = performance.now() - started;
    if (dialect === "sqlite") {
      expect(waits).toEqual([]);
      return;
    }
    expect(waits).toHaveLength(2);
    const [first, second] = waits.map((seconds) => seconds * 1000) as [number, number];
    // The read's wait is the sleep's, and no more than the time it took to answer.
    expect(first).toBeLessThan(250);
    expect(second).toBeGreaterThan(250);
    expect(second).toBeLessThanOrEqual(waitedMs);
  });

  itOnMysql(dialect)(
    "reports a wait that gave up at the acquire deadline once, its late connection not again",
    async () => {
      const db = await Database.open(parseDatabaseUrl(database.url, "/unused"), { poolSize: 1, acquireTimeoutMs: 100 });
      opened.push(db);
      const waits: number[] = [];
      db.observePoolWaits((seconds) => waits.push(seconds * 1000));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const holding = db.transaction(async (manager) => {
        await manager.query("SELECT 1");
        await gate;
      });
      await expect(db.read("SELECT 1 AS one", [])).rejects.toBeInstanceOf(DatabaseUnavailableError);
      release();
      await holding;
      // The read's connection came free after its deadline and went back to the pool unobserved.
      await expect(db.read("SELECT 1 AS one", [])).resolves.toEqual([{ one: 1 }]);
      expect(waits).toHaveLength(3);
      const [held, timedOut, after] = waits as [number, number, number];
      expect(held).toBeLessThan(100);
      expect(timedOut).toBeGreaterThanOrEqual(99);
      expect(after).toBeLessThan(100);
    },
  );

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
