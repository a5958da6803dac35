import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import type { DatabaseConfig } from "../config";
import { createDataSource } from "./data-source";

export type Dialect = "mysql" | "sqlite";

const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;
const DEADLOCK_RETRIES = 3;
const LOCK_WAIT_SECONDS = 5;
const MIGRATION_LOCK = "keyturn_migrations";

/** A lock wait ran out: another transaction held the row for longer than LOCK_WAIT_SECONDS. */
export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
}

/**
 * The one way the server talks to its database, identical for both dialects:
 * - MySQL: `transaction` locks rows with `FOR UPDATE` (see `forUpdate`), bounds lock waits and
 *   retries InnoDB deadlocks a few times with jitter, as the MySQL manual asks of every client.
 * - SQLite: better-sqlite3 has one connection and TypeORM cannot nest or lock there, so every
 *   transaction and read is queued on one promise chain; queued reads never see another
 *   transaction's uncommitted rows.
 */
export class Database {
  readonly dialect: Dialect;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inQueue = new AsyncLocalStorage<true>();

  private constructor(readonly dataSource: DataSource) {
    this.dialect = dataSource.options.type === "better-sqlite3" ? "sqlite" : "mysql";
  }

  /** Connects and, unless told otherwise, brings the schema up to date. */
  static async open(config: DatabaseConfig, { migrate = true } = {}): Promise<Database> {
    const database = new Database(createDataSource(config));
    await database.dataSource.initialize();
    try {
      if (migrate) await database.migrate();
    } catch (error) {
      await database.dataSource.destroy();
      throw error;
    }
    return database;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === "sqlite") return this.serialised(() => this.dataSource.transaction(work));
    return this.mysqlTransaction(work);
  }

  /** Runs reads, or a single self-contained write, outside a transaction (on SQLite, in turn with transactions). */
  execute<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === "sqlite") return this.serialised(() => work(this.dataSource.manager));
    return work(this.dataSource.manager);
  }

  /** `SELECT … FOR UPDATE` on MySQL; on SQLite the serialised transaction already excludes everyone else. */
  forUpdate<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    return this.dialect === "mysql" ? query.setLock("pessimistic_write") : query;
  }

  async ping(): Promise<void> {
    await this.execute((manager) => manager.query("SELECT 1"));
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    // Queued work that queued more work would wait for itself forever: fail loudly instead.
    if (this.inQueue.getStore()) {
      return Promise.reject(new Error("Database work was nested: use the manager passed to the outer call"));
    }
    const guarded = () => this.inQueue.run(true, work);
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async mysqlTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(async (manager) => {
          await manager.query(`SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
          return work(manager);
        });
      } catch (error) {
        const errno = mysqlErrno(error);
        if (errno === MYSQL_LOCK_WAIT_TIMEOUT) throw new LockTimeoutError("Lock wait timeout", { cause: error });
        if (errno !== MYSQL_DEADLOCK || attempt > DEADLOCK_RETRIES) throw error;
        await sleep(attempt * 10 + Math.random() * 40);
      }
    }
  }

  private async migrate(): Promise<void> {
    if (this.dialect === "sqlite") {
      await this.dataSource.runMigrations({ transaction: "all" });
      return;
    }
    // Instances starting together must not run the same migration twice: hold a named lock.
    const runner = this.dataSource.createQueryRunner();
    try {
      const [row] = (await runner.query("SELECT GET_LOCK(?, 60) AS acquired", [MIGRATION_LOCK])) as Array<{
        acquired: number | null;
      }>;
      if (row?.acquired !== 1) throw new Error("Timed out waiting for another instance's migrations");
      try {
        await this.dataSource.runMigrations({ transaction: "each" });
      } finally {
        await runner.query("SELECT RELEASE_LOCK(?)", [MIGRATION_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }
}

function mysqlErrno(error: unknown): number | undefined {
  const driverError = (error as { driverError?: { errno?: unknown } } | null)?.driverError;
  return typeof driverError?.errno === "number" ? driverError.errno : undefined;
}
