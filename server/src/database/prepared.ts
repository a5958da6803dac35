import type { Duplex } from "node:stream";
import type { ExecuteValues, PoolConnection } from "mysql2";
import { type EntityManager, QueryFailedError, type QueryRunner } from "typeorm";
import { NextTurnBatch } from "../next-turn-batch";
import { dialectOf } from "./data-source";

/** `sql` as a prepared statement on one mysql2 connection, which keeps it for the next call. */
export function executePrepared<T>(connection: PoolConnection, sql: string, params: readonly unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // The driver converts each value by its JavaScript type (dates, numbers, strings, null).
    connection.execute(sql, [...params] as ExecuteValues[], (error, result) => {
      if (error) reject(error);
      else resolve(result as T);
    });
  });
}

/** `sql` as text on one mysql2 connection: statements with no parameters (COMMIT, SET). */
export function executeText(connection: PoolConnection, sql: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    connection.query(sql, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/**
 * One statement of a change. Inside a MySQL transaction it runs as a prepared statement on the
 * transaction's connection, so MariaDB parses it once per connection: TypeORM's `query` sends
 * text, parsed on every call (one INSERT alone: 87.5 → 70 µs of MariaDB's CPU, 82.5 → 72.6 µs of
 * Keyturn's; a whole create 787 → 747 µs of Keyturn's, bench/notes.md). A failure keeps TypeORM's
 * shape (QueryFailedError carrying the driver's error), which the deadlock retry and the error
 * mapping read. Anywhere else (SQLite, or a manager outside a transaction) it is TypeORM's `query`.
 */
export async function runStatement<T>(manager: EntityManager, sql: string, params: unknown[]): Promise<T> {
  const connection = transactionConnection(manager);
  if (!connection) return manager.query<T>(sql, params);
  writeAtTurnEnd(connection);
  try {
    return await executePrepared<T>(connection, sql, params);
  } catch (error) {
    throw new QueryFailedError(sql, params, error as Error);
  }
}

function transactionConnection(manager: EntityManager): PoolConnection | undefined {
  const runner = manager.queryRunner;
  if (dialectOf(manager.dataSource) !== "mysql" || !runner?.isTransactionActive || runner.isReleased) return undefined;
  return runnerConnection(runner);
}

/** The pooled mysql2 connection a MySQL query runner holds once connected (a TypeORM internal). */
export function runnerConnection(runner: QueryRunner): PoolConnection | undefined {
  return (runner as unknown as { databaseConnection?: PoolConnection }).databaseConnection;
}

// A change's statements are written to MariaDB at the end of the event loop's turn, together with
// every other transaction's of that turn, rather than one by one as each is issued. Each write to a
// connection wakes the MariaDB thread that serves it; in this VM a statement's write cost the
// server ≈ 33 µs of kernel time, and holding them to the turn's end lowered its CPU per mutation
// by 4–9 % (bench/notes.md, seventh session of 2026-12-02), as holding the verification replies
// did for that route. A statement waits at most for the rest of its turn.
const heldUntilTurnEnds = new NextTurnBatch<Duplex, true>((streams) => {
  for (const stream of streams.keys()) stream.uncork();
});

/** Holds what is written to the connection until this turn's I/O is done (see above). */
export function writeAtTurnEnd(connection: PoolConnection): void {
  const stream = (connection as unknown as { stream?: Duplex }).stream;
  if (!stream) return;
  heldUntilTurnEnds.entry(stream, () => {
    stream.cork();
    return true;
  });
}
