import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Pool, PoolConnection } from "mysql2";
import { MigrationExecutor, type DataSource, type EntityManager, type QueryRunner } from "typeorm";
import type { DatabaseConfig } from "../config";
import { createDataSource, dialectOf, type Dialect } from "./data-source";
import { executePrepared, executeText, runnerConnection, writeAtTurnEnd } from "./prepared";

const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;
const DEADLOCK_RETRIES = 3;
const TIMED_OUT = Symbol("timed out");
const LOCK_WAIT_SECONDS = 5;
const MIGRATION_LOCK = "keyturn_migrations";
const DEFAULT_ACQUIRE_TIMEOUT_MS = 2_000;

/** A lock wait ran out: another transaction held the row for longer than LOCK_WAIT_SECONDS. */
export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
}

/**
 * The database could not be reached in time, or the connection broke. `outcome` says whether a
 * change may have been committed anyway (the connection broke during COMMIT).
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";

  constructor(
    message: string,
    readonly outcome: "not-applied" | "unknown",
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface DatabaseOptions {
  /** Run pending migrations on open (the server does; openVerifier does not). */
  migrate?: boolean;
  /** How long to wait for a pooled connection before answering "unavailable" (mysql2 has no limit). */
  acquireTimeoutMs?: number;
  /** MySQL connections per instance. */
  poolSize?: number;
}

/** Connection counts for metrics: MySQL's pool, or null on SQLite. */
export interface PoolStats {
  open: number;
  idle: number;
  waiting: number;
}

/**
 * The one way the server talks to its database, identical for both dialects:
 * - MySQL: `transaction` locks rows with `FOR UPDATE` (rows.ts `selectRows`), bounds lock waits and
 *   retries InnoDB deadlocks a few times with jitter, as the MySQL manual asks of every client.
 * - SQLite: better-sqlite3 has one connection and TypeORM cannot nest or lock there, so every
 *   transaction and read is queued on one promise chain; queued reads never see another
 *   transaction's uncommitted rows.
 */
export class Database {
  readonly dialect: Dialect;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inQueue = new AsyncLocalStorage<true>();
  private readonly lockWaitsBounded = new WeakSet();
  private poolWaitObserver: ((seconds: number) => void) | undefined;

  private constructor(
    readonly dataSource: DataSource,
    private readonly acquireTimeoutMs: number,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  /** Connects and, unless told otherwise, brings the schema up to date. */
  static async open(
    config: DatabaseConfig,
    { migrate = true, acquireTimeoutMs = DEFAULT_ACQUIRE_TIMEOUT_MS, poolSize }: DatabaseOptions = {},
  ): Promise<Database> {
    const database = new Database(createDataSource(config, poolSize), acquireTimeoutMs);
    await database.dataSource.initialize();
    try {
      if (migrate) await database.migrate();
    } catch (error) {
      await database.dataSource.destroy();
      throw error;
    }
    return database;
  }

  /**
   * `work` in one transaction. MySQL runs it at REPEATABLE READ, one snapshot for all its reads;
   * `readCommitted` is for a change whose locking reads must take no gap locks (MySQL only: SQLite
   * runs one transaction at a time).
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>, options: { readCommitted?: boolean } = {}): Promise<T> {
    if (this.dialect === "sqlite") return this.serialised(() => this.dataSource.transaction(work));
    return this.mysqlTransaction(work, options.readCommitted ?? false);
  }

  /** Runs reads, or a single self-contained write, outside a transaction (on SQLite, in turn with transactions). */
  execute<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === "sqlite") return this.serialised(() => work(this.dataSource.manager));
    return this.withConnection(async (runner) => {
      try {
        return await work(runner.manager);
      } catch (error) {
        throw asUnavailable(error, "not-applied");
      }
    });
  }

  /**
   * One read statement on a hot path: the verification lookup, the authorisation read before a
   * change. On MySQL it goes straight to mysql2 as a prepared statement (parsed once per
   * connection), skipping TypeORM's query runner and its per-query objects (docs/performance.md);
   * same acquire deadline and error mapping as execute(). On SQLite it runs
   * in the queue like any other work.
   */
  async read<T>(sql: string, params: ReadonlyArray<string | number>): Promise<T[]> {
    if (this.dialect === "sqlite") return this.serialised(() => this.dataSource.manager.query<T[]>(sql, [...params]));
    const connection = await this.pooledConnection();
    try {
      return await executePrepared<T[]>(connection, sql, params);
    } catch (error) {
      throw asUnavailable(error, "not-applied");
    } finally {
      connection.release();
    }
  }

  /**
   * One prepared `CALL` of a procedure that runs a change's transaction (MySQL only), then the
   * COMMIT of it: the procedure starts the transaction, rolls back and raises again on any error,
   * and otherwise leaves it open, so that a connection lost before the COMMIT undoes the change
   * (the migrations that add the procedures say why). Deadlocks are retried and lock waits bounded
   * as transaction() does; a connection lost during the COMMIT may have committed.
   *
   * `answer` reads the procedure's result sets before the COMMIT: whatever it throws rolls the
   * change back, so a caller's last check on what the procedure did can still undo it.
   */
  async callProcedure<R>(sql: string, params: readonly unknown[], answer: (results: unknown) => R): Promise<R> {
    if (this.dialect === "sqlite") throw new Error("Stored procedures are MySQL's: SQLite runs the transaction itself");
    return retryingDeadlocks(() => this.callOnce(sql, params, answer));
  }

  /**
   * Tells `observer` how long each MySQL operation waited for a pooled connection, opening one
   * included, whether it got one, gave up at the acquire deadline or failed to connect (a retried
   * deadlock waits again). One observer: a second call replaces the first. SQLite has no pool.
   */
  observePoolWaits(observer: (seconds: number) => void): void {
    this.poolWaitObserver = observer;
  }

  poolStats(): PoolStats | null {
    if (this.dialect === "sqlite" || !this.dataSource.isInitialized) return null;
    // mysql2 keeps these counts on its pool; TypeORM exposes the pool as driver.pool.
    const pool = (this.dataSource.driver as unknown as { pool?: Mysql2PoolInternals }).pool;
    if (!pool) return null;
    return {
      open: pool._allConnections.length,
      idle: pool._freeConnections.length,
      waiting: pool._connectionQueue.length,
    };
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

  private mysqlTransaction<T>(work: (manager: EntityManager) => Promise<T>, readCommitted: boolean): Promise<T> {
    return retryingDeadlocks(() => this.withConnection((runner) => this.runTransaction(runner, work, readCommitted)));
  }

  private async runTransaction<T>(
    runner: QueryRunner,
    work: (manager: EntityManager) => Promise<T>,
    readCommitted: boolean,
  ): Promise<T> {
    const connection = runnerConnection(runner);
    if (!connection) throw new Error("A MySQL query runner without its connection");
    writeAtTurnEnd(connection);
    await runner.startTransaction(readCommitted ? "READ COMMITTED" : undefined);
    let result: T;
    try {
      await this.boundLockWaits(connection);
      result = await work(runner.manager);
    } catch (error) {
      // The connection may be gone already; the work's own error is the one worth reporting.
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
    try {
      writeAtTurnEnd(connection);
      await runner.commitTransaction();
    } catch (error) {
      throw asUnavailable(error, "unknown");
    }
    return result;
  }

  /**
   * One attempt of callProcedure, straight on mysql2 as read() is: TypeORM's query runner would
   * add nothing to a CALL and a COMMIT. A connection lost during the COMMIT leaves the outcome
   * unknown, as in runTransaction.
   */
  private async callOnce<R>(sql: string, params: readonly unknown[], answer: (results: unknown) => R): Promise<R> {
    const connection = await this.pooledConnection();
    try {
      await this.boundLockWaits(connection);
      writeAtTurnEnd(connection);
      let result: R;
      try {
        result = answer(await executePrepared<unknown>(connection, sql, params));
      } catch (error) {
        // The procedure rolled back (or answer() refused its change), unless the connection
        // broke: then the server does.
        await executeText(connection, "ROLLBACK").catch(() => undefined);
        throw error;
      }
      writeAtTurnEnd(connection);
      try {
        await executeText(connection, "COMMIT");
      } catch (error) {
        throw asUnavailable(error, "unknown");
      }
      return result;
    } finally {
      connection.release();
    }
  }

  /** Sets the session's lock wait bound once per pooled connection (it outlives transactions). */
  private async boundLockWaits(connection: PoolConnection): Promise<void> {
    if (this.lockWaitsBounded.has(connection)) return;
    await executeText(connection, `SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}`);
    this.lockWaitsBounded.add(connection);
  }

  /** A pooled mysql2 connection, within the acquire deadline, for work that skips TypeORM. */
  private pooledConnection(): Promise<PoolConnection> {
    const pool = (this.dataSource.driver as unknown as { pool: Pool }).pool;
    return this.acquire(
      new Promise<PoolConnection>((resolve, reject) => {
        pool.getConnection((error, acquired) => {
          if (error) reject(error);
          else resolve(acquired);
        });
      }),
      (late) => {
        late.release();
      },
    );
  }

  /** A pooled connection (TypeORM's query runner) for `work`, within the acquire deadline. */
  private async withConnection<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await this.acquire(runner.connect(), () => void runner.release());
    } catch (error) {
      // Connecting failed outright (a timed-out connection is released when it arrives).
      if (error instanceof DatabaseUnavailableError && error.cause !== undefined) {
        await runner.release().catch(() => undefined);
      }
      throw error;
    }
    try {
      return await work(runner);
    } finally {
      if (!runner.isReleased) await runner.release().catch(() => undefined);
    }
  }

  /**
   * `connecting` if it settles within acquireTimeoutMs, else DatabaseUnavailableError. mysql2's
   * pool waits forever for a free connection; one that arrives after the deadline goes straight
   * to `giveBack`, so timed-out work never runs late.
   */
  private async acquire<C>(connecting: Promise<C>, giveBack: (late: C) => void): Promise<C> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.acquireTimeoutMs);
    });
    try {
      const winner = await Promise.race([connecting, deadline]);
      if (winner === TIMED_OUT) {
        connecting.then(giveBack, () => undefined);
        throw new DatabaseUnavailableError(`No database connection within ${this.acquireTimeoutMs} ms`, "not-applied");
      }
      return winner;
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      throw new DatabaseUnavailableError("The database cannot be reached", "not-applied", { cause: error });
    } finally {
      clearTimeout(timer);
      this.poolWaitObserver?.((performance.now() - started) / 1000);
    }
  }

  private async migrate(): Promise<void> {
    if (this.dialect === "sqlite") {
      await this.dataSource.runMigrations({ transaction: "all" });
      return;
    }
    // Instances starting together must not run the same migration twice: hold a named lock, and
    // migrate on the connection that holds it (a pool of one has no other to give).
    const runner = this.dataSource.createQueryRunner();
    try {
      const [row] = (await runner.query("SELECT GET_LOCK(?, 60) AS acquired", [MIGRATION_LOCK])) as Array<{
        acquired: number | null;
      }>;
      if (row?.acquired !== 1) throw new Error("Timed out waiting for another instance's migrations");
      try {
        const executor = new MigrationExecutor(this.dataSource, runner);
        executor.transaction = "each";
        await executor.executePendingMigrations();
      } finally {
        await runner.query("SELECT RELEASE_LOCK(?)", [MIGRATION_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }
}

interface Mysql2PoolInternals {
  _allConnections: { length: number };
  _freeConnections: { length: number };
  _connectionQueue: { length: number };
}

// Errors that mean the connection itself failed, not the statement.
const CONNECTION_ERROR_CODES = new Set([
  "PROTOCOL_CONNECTION_LOST",
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CONNECTION_KILLED",
  "ER_SERVER_SHUTDOWN",
]);
const CONNECTION_ERRNOS = new Set([1053, 1927, 2006, 2013]);

/**
 * Runs a transaction's attempt again after a deadlock (MySQL chose it as the victim and rolled it
 * back), a few times with a growing random pause. A lock wait past the session's bound is a
 * LockTimeoutError; a lost connection is unavailability, the change not applied unless the
 * attempt already said its COMMIT's outcome is unknown.
 */
export async function retryingDeadlocks<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const errno = mysqlErrno(error);
      if (errno === MYSQL_LOCK_WAIT_TIMEOUT) throw new LockTimeoutError("Lock wait timeout", { cause: error });
      if (errno !== MYSQL_DEADLOCK || tries > DEADLOCK_RETRIES) throw asUnavailable(error, "not-applied");
      await sleep(tries * 10 + Math.random() * 40);
    }
  }
}

function asUnavailable<E>(error: E, outcome: DatabaseUnavailableError["outcome"]): E | DatabaseUnavailableError {
  if (error instanceof DatabaseUnavailableError || error instanceof LockTimeoutError) return error;
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = candidate?.driverError?.code ?? candidate?.code;
  const errno = mysqlErrno(error);
  const lost =
    (typeof code === "string" && CONNECTION_ERROR_CODES.has(code)) ||
    (errno !== undefined && CONNECTION_ERRNOS.has(errno)) ||
    (error instanceof Error &&
      /Can't add new command when connection is in closed state|closed state/i.test(error.message));
  if (!lost) return error;
  return new DatabaseUnavailableError(
    outcome === "unknown" ? "The database connection broke during COMMIT" : "The database connection broke",
    outcome,
    { cause: error },
  );
}

/** MySQL's error number, from TypeORM's wrapper (driverError) or from mysql2's own error. */
function mysqlErrno(error: unknown): number | undefined {
  const candidate = error as { errno?: unknown; driverError?: { errno?: unknown } } | null;
  const errno = candidate?.driverError?.errno ?? candidate?.errno;
  return typeof errno === "number" ? errno : undefined;
}
